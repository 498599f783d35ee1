"""Replay an archive through pywb, run from its own virtualenv.

pywb's pinned dependencies (and its brotli shim, which breaks Scrapy's decoding) never enter the
crawler's environment: a separate venv is created on first use (``NEWSARCHIVE_PYWB_VENV``).
A temporary pywb root gets one collection per site (WARC symlinks, CDXJ indexes) and
``wayback`` serves it on 127.0.0.1; archives in S3 are first copied to a local cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from archive.cdxj import write_index
from archive.layout import (
    CRAWLS_PREFIX,
    index_key_for,
    index_name_for,
    key_of,
    key_problem,
    manifest_keys,
    part_path,
    site_articles_files,
    site_warc_files,
)

logger = logging.getLogger(__name__)

PYWB_REQUIREMENT = "pywb==2.10.*"
READY_MARKER = ".newsarchive-ready"
VENV_ENV = "NEWSARCHIVE_PYWB_VENV"


class ReplayError(Exception):
    """pywb could not be installed or started, or there is nothing to replay."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsarchive"


def pywb_venv_dir() -> Path:
    return Path(os.environ.get(VENV_ENV) or cache_dir() / "pywb-venv")


def _venv_bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_pywb_venv(
    venv: Path | None = None, say: Callable[[str], None] = print
) -> Path:
    """The pywb venv, created first if needed."""
    return ensure_tool_venv(venv or pywb_venv_dir(), PYWB_REQUIREMENT, say, "replay")


def ensure_tool_venv(
    venv: Path, requirement: str, say: Callable[[str], None] = print, purpose: str = ""
) -> Path:
    """A venv with ``requirement`` installed, created first if needed.

    Creation runs under a file lock, so parallel first uses (test workers) wait for one
    another; a ready marker is written last, so an interrupted install is redone.
    """
    if (venv / READY_MARKER).exists():
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / READY_MARKER).exists():
            return venv
        if venv.exists():
            shutil.rmtree(venv)  # a half-made venv from an interrupted first run
        name = requirement.split("=")[0]
        say(f"Setting up {name}{' for ' + purpose if purpose else ''} (once): creating a "
            f"virtualenv in {venv} and installing {requirement} from the package index…")
        started = time.monotonic()
        _run([sys.executable, "-m", "venv", str(venv)], f"create the {name} virtualenv")
        pip = [str(_venv_bin(venv, "python")), "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "install", "--quiet", requirement], f"pip install {requirement}")
        (venv / READY_MARKER).write_text(f"{requirement}\n", "utf-8")
        say(f"{name} ready in {time.monotonic() - started:.0f}s.")
    return venv


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ReplayError(f"could not {what} (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


# --- building the pywb root -----------------------------------------------------------------


@dataclass
class Collection:
    name: str
    warcs: list[Path] = field(default_factory=list)
    indexes: list[Path] = field(default_factory=list)


def local_archive_collections(archive: Path) -> dict[str, Collection]:
    """One collection per site: ``warc/<site>/**/*.warc.gz`` and their CDXJ indexes."""
    collections: dict[str, Collection] = {}
    for site, warc in site_warc_files(archive):
        key = key_of(archive, warc)
        coll = collections.setdefault(site, Collection(site))
        coll.warcs.append(warc)
        index = archive / index_key_for(key)
        if index.exists():
            coll.indexes.append(index)
    return collections


def build_root(archive: Path, root: Path, losses: list[str] | None = None
               ) -> dict[str, Collection]:
    """A pywb directory at ``root`` for the archive at ``archive``.  A WARC without an
    index is indexed over its readable records; what could not be is named in ``losses``."""
    losses = [] if losses is None else losses
    collections = local_archive_collections(archive)
    if not collections:
        raise ReplayError(f"no WARC files under {archive}/warc/")
    for name, coll in collections.items():
        archive_dir = root / "collections" / name / "archive"
        index_dir = root / "collections" / name / "indexes"
        archive_dir.mkdir(parents=True)
        index_dir.mkdir(parents=True)
        indexed = {p.name for p in coll.indexes}
        for warc in coll.warcs:
            (archive_dir / warc.name).symlink_to(warc.resolve())
            if index_name_for(warc.name) not in indexed:  # e.g. a crawl from before indexes
                losses.extend(write_index(warc, index_dir / index_name_for(warc.name)))
        for index in coll.indexes:
            (index_dir / index.name).symlink_to(index.resolve())
    return collections


def fetch_s3_archive(uri: str, target: Path, losses: list[str] | None = None,
                     **options: Any) -> Path:
    """Copy the WARCs and indexes listed in the manifests of ``uri`` to ``target``.

    Files already there with the manifest's size are not fetched again.  A manifest that
    cannot be read, or a key that is not a safe relative key (``..``, absolute, backslash,
    NUL), is named in ``losses`` and skipped: nothing is written outside ``target``.
    """
    from archive.storage import StorageError, open_storage

    losses = [] if losses is None else losses
    storage = open_storage(uri, **options)
    manifests = manifest_keys(storage)
    if not manifests:
        raise ReplayError(f"no crawl manifests under {uri}/{CRAWLS_PREFIX}")
    root = target.resolve()
    for key in manifests:
        try:
            manifest = json.loads(storage.read(key))
        except (ValueError, StorageError) as exc:
            losses.append(f"{key}: unreadable manifest: {exc}")
            continue
        files = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(files, list):
            losses.append(f"{key}: not a crawl manifest (no 'files' list)")
            continue
        for entry in files:
            if not isinstance(entry, dict) or entry.get("kind") not in ("warc", "cdxj"):
                continue
            problem = key_problem(entry.get("key"))
            path = target / str(entry.get("key"))
            if problem is None and not path.resolve().is_relative_to(root):
                problem = "leads outside the cache"
            if problem:
                losses.append(f"{key}: key {entry.get('key')!r} {problem}: not copied")
                continue
            if path.exists() and path.stat().st_size == entry.get("size"):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = part_path(path)
            try:
                with storage.open_read(entry["key"]) as body, open(partial, "wb") as out:
                    shutil.copyfileobj(body, out, 1 << 20)
            except StorageError as exc:
                partial.unlink(missing_ok=True)
                losses.append(f"{entry['key']}: not copied: {exc}")
                continue
            os.replace(partial, path)
    return target


def s3_cache_dir(uri: str) -> Path:
    return cache_dir() / "s3" / uri.split("://", 1)[1].strip("/")


# --- the server -----------------------------------------------------------------------------


def replay_config(framed: bool = True) -> str:
    """pywb's config.yaml: archive only.  No ``live`` collection, no proxy mode and no
    fallback: a page's image or stylesheet that is not in the archive is missing in replay
    (a 404 inside the page), never fetched from the live web."""
    return (
        "# newsarchive replay root: what is archived, nothing from the live web\n"
        "collections_root: collections\n"
        f"framed_replay: {'true' if framed else 'false'}\n"
        "enable_memento: true\n"
    )


#: Runs in the pywb venv: ``wayback`` serving on the listening socket it inherits (its fd
#: is argv[1]) instead of binding a port itself, so no other process can take the port
#: between our choosing it and wayback binding it.
_WAYBACK_ON_SOCKET = """
import socket, sys
from gevent.monkey import patch_all; patch_all()
import gevent.pywsgi
import pywb.utils.geventserver
listener = socket.socket(fileno=int(sys.argv[1]))
def server_on_listener(address, app, **kwargs):
    # wayback's own server asks for our port; pywb starts inner ones on port 0
    if address[1] == listener.getsockname()[1]:
        address = listener
    return gevent.pywsgi.WSGIServer(address, app, **kwargs)
pywb.utils.geventserver.WSGIServer = server_on_listener
from pywb.apps.cli import wayback
sys.argv = ["wayback", *sys.argv[2:]]
sys.exit(wayback())
"""


def listening_socket(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:``port`` (0: a free port, chosen by the OS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ReplayError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
    return sock


@dataclass
class ReplayServer:
    """A running ``wayback`` over a replay root; ``stop()`` (or the context manager) ends it."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]
    collections: dict[str, Collection]
    log_path: Path
    _cleanup: contextlib.ExitStack
    #: What could not be read or indexed, named (the rest is replayed).
    losses: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def replay_url(self, collection: str, timestamp: str, url: str, mode: str = "") -> str:
        return f"{self.base_url}/{collection}/{timestamp}{mode}/{url}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._cleanup.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_replay(
    archive: Path,
    *,
    port: int = 0,
    venv: Path | None = None,
    say: Callable[[str], None] = print,
    ready_timeout: float = 60.0,
    losses: list[str] | None = None,
    framed: bool = True,
) -> ReplayServer:
    """Build a replay root for ``archive`` and start ``wayback`` on 127.0.0.1.

    ``framed``: pywb's banner frame around the page (off: the page alone, as served).

    The port (0: any free one) is bound here and the listening socket handed to wayback.
    """
    venv = ensure_pywb_venv(venv, say)
    cleanup = contextlib.ExitStack()
    losses = [] if losses is None else losses
    try:
        root = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="newsarchive-replay-")))
        collections = build_root(Path(archive), root, losses)
        (root / "config.yaml").write_text(replay_config(framed), "utf-8")
        listener = cleanup.enter_context(listening_socket(port))
        port = int(listener.getsockname()[1])
        log_path = root / "wayback.log"
        log = cleanup.enter_context(open(log_path, "wb"))  # noqa: SIM115 (closed by the stack)
        process = subprocess.Popen(
            [str(_venv_bin(venv, "python")), "-c", _WAYBACK_ON_SOCKET, str(listener.fileno()),
             "-b", "127.0.0.1", "-p", str(port), "-d", str(root)],
            stdout=log, stderr=subprocess.STDOUT, cwd=root, pass_fds=[listener.fileno()],
        )
        server = ReplayServer(root, port, process, collections, log_path, cleanup, losses)
    except BaseException:
        cleanup.close()
        raise
    try:
        _wait_ready(server, ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: ReplayServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        if server.process.poll() is not None:
            raise ReplayError(f"wayback exited ({server.process.returncode}):\n"
                              f"{server.log_path.read_text('utf-8', 'replace')[-2000:]}")
        try:
            with urllib.request.urlopen(server.base_url + "/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise ReplayError(f"wayback did not answer on port {server.port} in {timeout:.0f}s")
            time.sleep(delay)  # probing an external process: there is no event to wait on
            delay = min(delay * 2, 0.5)


def article_links(archive: Path, server: ReplayServer, limit: int = 10) -> list[tuple[str, str]]:
    """(title, replay URL) of the first articles in the archive's JSONL."""
    import gzip
    import zlib

    links: list[tuple[str, str]] = []
    for site, path in site_articles_files(Path(archive)):
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    try:
                        record = json.loads(line)
                        stamp = "".join(ch for ch in record["fetched_at"] if ch.isdigit())[:14]
                        link = (str(record["title"]), server.replay_url(site, stamp, record["url"]))
                    except (ValueError, KeyError, TypeError) as exc:
                        logger.warning("%s: a line that is not an article record: %r", path, exc)
                        continue
                    links.append(link)
                    if len(links) >= limit:
                        return links
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
            logger.warning("%s: unreadable: %s", path, exc)
    return links


def wait_forever(server: ReplayServer) -> int:
    """Until wayback exits or we are interrupted (Ctrl-C, SIGTERM); then stop it."""
    import signal

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        return server.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()


@contextlib.contextmanager
def serving(archive: Path, **kwargs: Any) -> Iterator[ReplayServer]:
    server = start_replay(archive, **kwargs)
    try:
        yield server
    finally:
        server.stop()
