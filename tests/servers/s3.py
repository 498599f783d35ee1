"""S3 servers for tests: moto, a minimal S3-like server, and a TCP fault proxy.

* moto's server runs in its own process (``python tests/servers/s3.py moto``).
* ``minimal`` is a small S3-like server (also its own process) that speaks just enough of the
  protocol for boto3 — PUT/GET/HEAD/ranged GET/DELETE, ListObjectsV2, multipart — and,
  like many third-party implementations, knows nothing of checksums or ``If-None-Match``.
  ``--etag opaque`` makes its ETags unrelated to the content (as with SSE-KMS), so a client
  cannot use them as an MD5.
* :class:`FaultProxy` sits in front of either (in the test process, so a test can switch it):
  pass traffic, refuse connections, answer ``503 SlowDown``, or throttle uploads.

Each server process binds port 0, prints ``PORT <n>`` on stdout, and exits when its stdin
closes, so a crashed test run leaves nothing behind.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


# --- server processes ------------------------------------------------------------------------


class ServerProcess:
    """A server in a child process; ``url`` once started."""

    def __init__(self, kind: str, *extra: str):
        self.kind = kind
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = dict(os.environ)
        env.pop("AWS_ENDPOINT_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), self.kind, *self.extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"{self.kind} S3 server did not start: {line!r}")
        self.port = int(line.split()[1])
        wait_for_http(self.url, timeout)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    """Probe until the server answers any HTTP response."""
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=2)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)  # a probe interval, not a guess at start-up time
        finally:
            conn.close()


def _serve_until_stdin_closes(port: int, stop: Callable[[], None]) -> None:
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    while sys.stdin.buffer.read(4096):
        pass
    stop()


def run_moto() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the test's stderr
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _serve_until_stdin_closes(server.get_host_and_port()[1], server.stop)


# --- the minimal S3-like server --------------------------------------------------------------


@dataclass
class _Object:
    data: bytes
    etag: str
    metadata: dict[str, str]
    content_type: str
    modified: float = field(default_factory=time.time)


@dataclass
class _Upload:
    key: str
    metadata: dict[str, str]
    content_type: str
    parts: dict[int, tuple[str, bytes]] = field(default_factory=dict)


class MinimalS3State:
    def __init__(self, etag_mode: str = "md5"):
        self.etag_mode = etag_mode
        self.lock = threading.Lock()
        self.buckets: dict[str, dict[str, _Object]] = {}
        self.uploads: dict[str, _Upload] = {}

    def etag(self, data: bytes) -> str:
        if self.etag_mode == "opaque":
            return uuid.uuid4().hex
        return hashlib.md5(data).hexdigest()


class MinimalS3Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MinimalS3/1"
    state: MinimalS3State

    def log_message(self, format: str, *args: object) -> None:
        pass

    # plumbing
    def _split(self) -> tuple[str, str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        path = unquote(parts.path).lstrip("/")
        bucket, _, key = path.partition("/")
        return bucket, key, parse_qs(parts.query, keep_blank_values=True)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _xml(self, status: int, text: str) -> None:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()
        self._send(status, body, {"Content-Type": "application/xml"})

    def _error(self, status: int, code: str, message: str = "") -> None:
        self._xml(status, f"<Error><Code>{code}</Code><Message>{escape(message or code)}"
                          f"</Message></Error>")

    def _metadata(self) -> dict[str, str]:
        return {
            name.lower()[len("x-amz-meta-"):]: value
            for name, value in self.headers.items()
            if name.lower().startswith("x-amz-meta-")
        }

    def _bucket(self, name: str) -> dict[str, _Object] | None:
        bucket = self.state.buckets.get(name)
        if bucket is None:
            self._error(404, "NoSuchBucket", name)
        return bucket

    def _object_headers(self, obj: _Object) -> dict[str, str]:
        headers = {
            "ETag": f'"{obj.etag}"',
            "Last-Modified": formatdate(obj.modified, usegmt=True),
            "Content-Type": obj.content_type,
            "Accept-Ranges": "bytes",
        }
        headers.update({f"x-amz-meta-{k}": v for k, v in obj.metadata.items()})
        return headers

    # verbs
    def do_PUT(self) -> None:
        bucket_name, key, query = self._split()
        body = self._body()
        with self.state.lock:
            if not key:
                self.state.buckets.setdefault(bucket_name, {})
                self._send(200)
                return
            bucket = self._bucket(bucket_name)
            if bucket is None:
                return
            if "uploadId" in query:
                upload = self.state.uploads.get(query["uploadId"][0])
                if upload is None:
                    self._error(404, "NoSuchUpload")
                    return
                etag = self.state.etag(body)
                upload.parts[int(query["partNumber"][0])] = (etag, body)
                self._send(200, headers={"ETag": f'"{etag}"'})
                return
            obj = _Object(body, self.state.etag(body), self._metadata(),
                          self.headers.get("Content-Type", "binary/octet-stream"))
            bucket[key] = obj
            self._send(200, headers={"ETag": f'"{obj.etag}"'})

    def do_POST(self) -> None:
        bucket_name, key, query = self._split()
        body = self._body()
        with self.state.lock:
            bucket = self._bucket(bucket_name)
            if bucket is None:
                return
            if "uploads" in query:
                upload_id = uuid.uuid4().hex
                self.state.uploads[upload_id] = _Upload(
                    key, self._metadata(), self.headers.get("Content-Type", "binary/octet-stream"))
                self._xml(200, f'<InitiateMultipartUploadResult xmlns="{S3_NS}"><Bucket>'
                               f'{escape(bucket_name)}</Bucket><Key>{escape(key)}</Key><UploadId>'
                               f'{upload_id}</UploadId></InitiateMultipartUploadResult>')
                return
            if "uploadId" in query:
                self._complete(bucket, bucket_name, key, query["uploadId"][0], body)
                return
            self._error(501, "NotImplemented")

    def _complete(self, bucket: dict[str, _Object], bucket_name: str, key: str,
                  upload_id: str, body: bytes) -> None:
        upload = self.state.uploads.get(upload_id)
        if upload is None:
            self._error(404, "NoSuchUpload")
            return
        chunks: list[bytes] = []
        md5s: list[bytes] = []
        root = ElementTree.fromstring(body)
        for part in root.iter(f"{{{S3_NS}}}Part"):
            number = int(part.findtext(f"{{{S3_NS}}}PartNumber") or 0)
            etag = (part.findtext(f"{{{S3_NS}}}ETag") or "").strip('"')
            stored = upload.parts.get(number)
            if stored is None or stored[0] != etag:
                self._error(400, "InvalidPart", f"part {number}")
                return
            chunks.append(stored[1])
            md5s.append(hashlib.md5(stored[1]).digest())
        data = b"".join(chunks)
        if self.state.etag_mode == "opaque":
            etag = uuid.uuid4().hex
        else:
            etag = f"{hashlib.md5(b''.join(md5s)).hexdigest()}-{len(md5s)}"
        bucket[key] = _Object(data, etag, upload.metadata, upload.content_type)
        del self.state.uploads[upload_id]
        self._xml(200, f'<CompleteMultipartUploadResult xmlns="{S3_NS}"><Bucket>'
                       f'{escape(bucket_name)}</Bucket><Key>{escape(key)}</Key><ETag>"{etag}"'
                       f'</ETag></CompleteMultipartUploadResult>')

    def do_HEAD(self) -> None:
        bucket_name, key, _ = self._split()
        with self.state.lock:
            bucket = self.state.buckets.get(bucket_name)
            obj = bucket.get(key) if bucket is not None and key else None
        if bucket is None:
            self._send(404)
        elif not key:
            self._send(200)
        elif obj is None:
            self._send(404)
        else:
            headers = self._object_headers(obj)
            headers["Content-Length"] = str(len(obj.data))
            self.send_response(200)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

    def do_GET(self) -> None:
        bucket_name, key, query = self._split()
        with self.state.lock:
            bucket = self._bucket(bucket_name) if bucket_name else None
            if bucket_name and bucket is None:
                return
            if not bucket_name:
                self._xml(200, f'<ListAllMyBucketsResult xmlns="{S3_NS}"><Buckets/>'
                               "</ListAllMyBucketsResult>")
                return
            assert bucket is not None
            if not key:
                if query.get("list-type") == ["2"]:
                    self._list(bucket, bucket_name, query)
                else:
                    self._error(501, "NotImplemented", "only ListObjectsV2")
                return
            obj = bucket.get(key)
        if obj is None:
            self._error(404, "NoSuchKey", key)
            return
        self._get(obj)

    def _get(self, obj: _Object) -> None:
        headers = self._object_headers(obj)
        spec = self.headers.get("Range")
        if not spec:
            self._send(200, obj.data, headers)
            return
        size = len(obj.data)
        first_text, _, last_text = spec.removeprefix("bytes=").partition("-")
        if first_text:
            first = int(first_text)
            last = min(int(last_text), size - 1) if last_text else size - 1
        else:
            first, last = max(0, size - int(last_text)), size - 1
        if first >= size or first > last:
            self._error(416, "InvalidRange")
            return
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        self._send(206, obj.data[first:last + 1], headers)

    def _list(self, bucket: dict[str, _Object], bucket_name: str,
              query: dict[str, list[str]]) -> None:
        prefix = query.get("prefix", [""])[0]
        after = query.get("continuation-token", query.get("start-after", [""]))[0]
        limit = int(query.get("max-keys", ["1000"])[0])
        keys = sorted(k for k in bucket if k.startswith(prefix) and k > after)
        page, truncated = keys[:limit], len(keys) > limit
        contents = "".join(
            f"<Contents><Key>{escape(k)}</Key><LastModified>"
            f"{time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(bucket[k].modified))}"
            f"</LastModified><ETag>&quot;{bucket[k].etag}&quot;</ETag><Size>"
            f"{len(bucket[k].data)}</Size><StorageClass>STANDARD</StorageClass></Contents>"
            for k in page
        )
        token = f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>" \
            if truncated else ""
        self._xml(200, f'<ListBucketResult xmlns="{S3_NS}"><Name>{escape(bucket_name)}</Name>'
                       f"<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount>"
                       f"<MaxKeys>{limit}</MaxKeys><IsTruncated>{str(truncated).lower()}"
                       f"</IsTruncated>{token}{contents}</ListBucketResult>")

    def do_DELETE(self) -> None:
        bucket_name, key, query = self._split()
        with self.state.lock:
            bucket = self._bucket(bucket_name)
            if bucket is None:
                return
            if "uploadId" in query:
                if self.state.uploads.pop(query["uploadId"][0], None) is None:
                    self._error(404, "NoSuchUpload")
                    return
            else:
                bucket.pop(key, None)
        self._send(204)


def run_minimal(etag_mode: str) -> None:
    handler = type("Handler", (MinimalS3Handler,), {"state": MinimalS3State(etag_mode)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _serve_until_stdin_closes(server.server_address[1], server.shutdown)


# --- the fault proxy ---------------------------------------------------------------------------

SLOWDOWN_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class FaultProxy:
    """A TCP proxy in front of ``upstream`` whose behaviour a test can switch.

    Modes: ``pass`` (forward), ``refuse`` (reset every new connection), ``503`` (answer every
    request with ``503 SlowDown``).  Switching mode drops the connections in flight, so pooled
    keep-alive connections see the new mode too.  ``fail_next(n)`` fails the next ``n``
    connections then passes again; ``throttle`` limits client→server bytes per second.
    """

    def __init__(self, upstream_url: str):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode = "pass"
        self.fail_budget = 0
        self.fail_mode = "503"
        self.bytes_per_second: float | None = None
        self.failed = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._active: set[socket.socket] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        assert mode in {"pass", "refuse", "503"}
        with self._lock:
            self.mode = mode
            active = list(self._active)
        for sock in active:
            _shutdown(sock)

    def fail_next(self, count: int, mode: str = "503") -> None:
        with self._lock:
            self.fail_budget, self.fail_mode = count, mode
            active = list(self._active)
        for sock in active:
            _shutdown(sock)

    def throttle(self, bytes_per_second: float | None) -> None:
        self.bytes_per_second = bytes_per_second

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.set_mode("refuse")

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                mode = self.mode
                if self.fail_budget > 0:
                    self.fail_budget -= 1
                    mode = self.fail_mode
                if mode != "pass":
                    self.failed += 1
            handler = {"pass": self._pipe, "refuse": self._refuse, "503": self._slowdown}[mode]
            threading.Thread(target=handler, args=(client,), daemon=True).start()

    def _refuse(self, client: socket.socket) -> None:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()

    def _slowdown(self, client: socket.socket) -> None:
        client.settimeout(5)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            client.sendall(
                b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(SLOWDOWN_BODY)
                + SLOWDOWN_BODY
            )
            client.shutdown(socket.SHUT_WR)
            while client.recv(65536):  # let the client finish sending before the close
                pass
        except OSError:
            pass
        finally:
            client.close()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._active.update((client, upstream))
        done = threading.Event()
        threading.Thread(target=self._pump, args=(upstream, client, False, done),
                         daemon=True).start()
        self._pump(client, upstream, True, done)
        done.wait(30)
        with self._lock:
            self._active.difference_update((client, upstream))
        client.close()
        upstream.close()

    def _pump(self, source: socket.socket, sink: socket.socket, upload: bool,
              done: threading.Event | None) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                rate = self.bytes_per_second if upload else None
                if rate:
                    time.sleep(len(chunk) / rate)  # bandwidth limiting
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _shutdown(sink)
            if not upload and done is not None:
                done.set()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["moto", "minimal"])
    parser.add_argument("--etag", choices=["md5", "opaque"], default="md5")
    args = parser.parse_args(argv)
    if args.kind == "moto":
        run_moto()
    else:
        run_minimal(args.etag)


if __name__ == "__main__":
    main()
