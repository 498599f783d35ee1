"""The wire: a download handler that records each HTTP exchange exactly as it went over the
connection, left as a ``WireExchange`` in ``request.meta[WIRE_META_KEY]``.

Scrapy's HTTP/1.1 handler with its own protocol: heads as received or written, what arrived of
a truncated body; a response head over ``NEWSARCHIVE_MAX_RESPONSE_HEAD`` bytes is refused.
Also builds the heads the capture archives (as recorded, else rebuilt from Scrapy's objects).
"""

from __future__ import annotations

import functools
import http
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadFailedError, ResponseDataLossError
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web.client import Response as TxResponse
from twisted.web.iweb import UNKNOWN_LENGTH, IResponse

from archive.records import http_block
from archive.upstream import (
    HEADER,
    STATUS,
    ResponseFailed,
    TxRequest,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ResponseReader,
    _ResultT,
    _ScrapyAgent,
    get_dataloss_msg,
    wrap_twisted_exceptions,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.interfaces import IAddress

logger = logging.getLogger(__name__)

WIRE_META_KEY = "newsarchive_wire"


@dataclass
class WireExchange:
    """What the download handler saw on the wire, stored in ``request.meta[WIRE_META_KEY]``."""

    status_line: bytes
    header_lines: list[bytes]
    request_head: bytes | None = None
    # Original framing headers that no longer describe the stored (dechunked) body.
    dechunked: bool = False
    notes: list[str] = field(default_factory=list)
    ip_address: str | None = None
    # Set when the body was cut ("length": DOWNLOAD_MAXSIZE, "disconnect": connection
    # lost) and the download failed: what arrived of it.
    truncated: str | None = None
    partial_body: bytes | None = None

    def status_code(self) -> int | None:
        parts = self.status_line.split(None, 2)
        try:
            return int(parts[1])
        except (IndexError, ValueError):
            return None


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def wire_head(wire: WireExchange) -> tuple[bytes, list[bytes]]:
    """Status line and header lines as received, minus a framing claim the body lost."""
    lines = list(wire.header_lines)
    if wire.dechunked:
        lines = [
            b"X-Archive-Orig-" + line if line.lower().startswith(b"transfer-encoding:") else line
            for line in lines
        ]
    return wire.status_line, lines


def response_head(request: Request, response: Response) -> tuple[bytes, list[bytes]]:
    """Status line and header lines of a response: from the wire when known."""
    wire: WireExchange | None = request.meta.get(WIRE_META_KEY)
    if wire is not None and wire.status_code() == response.status:
        return wire_head(wire)
    protocol = response.protocol or "HTTP/1.1"
    status_line = f"{protocol} {response.status} {reason_phrase(response.status)}".rstrip()
    lines = [
        bytes(name) + b": " + bytes(value)
        for name, values in response.headers.items()
        for value in values
    ]
    return status_line.encode("latin-1"), lines


def request_block(request: Request) -> bytes:
    """The request as sent: from the wire when known, else rebuilt from the Request."""
    wire: WireExchange | None = request.meta.get(WIRE_META_KEY)
    if wire is not None and wire.request_head is not None:
        return wire.request_head + request.body
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = []
    if b"Host" not in request.headers:
        lines.append(
            b"Host: " + parts.netloc.encode("idna" if not parts.netloc.isascii() else "ascii")
        )
    for name, values in request.headers.items():
        for value in values:
            lines.append(bytes(name) + b": " + bytes(value))
    if request.body and b"Content-Length" not in request.headers:
        lines.append(b"Content-Length: " + str(len(request.body)).encode())
    start = f"{request.method} {target} HTTP/1.1".encode("latin-1")
    block, _ = http_block(start, lines, request.body)
    return block


def content_encoded(header_lines: list[bytes]) -> bool:
    """Whether the HTTP head declares a Content-Encoding (other than identity)."""
    for line in header_lines:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-encoding" and value.strip().lower() not in (
            b"", b"identity"
        ):
            return True
    return False

_WIRE_ATTRIBUTE = "_newsarchive_wire"
DEFAULT_MAX_RESPONSE_HEAD = 256 * 1024


class ResponseHeadTooLarge(Exception):
    """The server sent a longer response head than ``NEWSARCHIVE_MAX_RESPONSE_HEAD``."""


class _HeadRecorder:
    """Stands in for the transport while Twisted writes a request head (one writeSequence)."""

    def __init__(self, transport: Any, request: _RecordingTxRequest):
        self._transport = transport
        self._request = request

    def writeSequence(self, data: list[bytes]) -> None:
        self._request.wire_head = b"".join(data)
        self._transport.writeSequence(data)

    def write(self, data: bytes) -> None:
        self._transport.write(data)


class _RecordingTxRequest(TxRequest):
    """A Twisted request that remembers the head bytes it wrote."""

    wire_head: bytes | None = None

    def _writeHeaders(self, transport: Any, TEorCL: bytes | None) -> None:
        super()._writeHeaders(_HeadRecorder(transport, self), TEorCL)


class WireHTTPClientParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser, also keeping the raw status and header lines."""

    _wire_status: bytes = b""
    _wire_lines: list[bytes]
    # Bytes of head lines so far, interim 1xx responses included (set per instance).
    _head_bytes = 0
    max_head = DEFAULT_MAX_RESPONSE_HEAD

    def lineReceived(self, line: bytes) -> None:
        if self.state in (STATUS, HEADER):
            self._head_bytes += len(line) + 1
            if self._head_bytes > self.max_head:
                # Raised into Twisted's protocol, which drops the connection and fails
                # the response; unparsed, it holds only the rest of the current read.
                raise ResponseHeadTooLarge(f"response head over {self.max_head} bytes")
        # Set up here, not in connectionMade: the class is swapped in after the
        # connection was made (see WireHTTP11ClientProtocol.request).
        if self.state == STATUS:
            self._wire_status = line.removesuffix(b"\r")
            self._wire_lines = []
        elif self.state == HEADER and line not in (b"", b"\r"):
            # Kept as sent, continuation lines and lines without a colon included.
            self._wire_lines.append(line.removesuffix(b"\r"))
        super().lineReceived(line)

    def allHeadersReceived(self) -> None:
        code = self.response.code
        if not 100 <= code < 200:  # an interim 1xx response is skipped, as Twisted does
            head = getattr(self.request, "wire_head", None)
            framing = self.connHeaders.getRawHeaders(b"transfer-encoding") or []
            setattr(
                self.response,
                _WIRE_ATTRIBUTE,
                WireExchange(
                    status_line=self._wire_status,
                    header_lines=self._wire_lines,
                    request_head=head,
                    # the stored body is always the decoded one: whatever framing was
                    # claimed no longer describes it
                    dechunked=bool(framing),
                ),
            )
        super().allHeadersReceived()


class WireHTTP11ClientProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's client protocol with the recording request and parser."""

    max_head = DEFAULT_MAX_RESPONSE_HEAD

    def request(self, request: TxRequest) -> Deferred[IResponse]:
        if type(request) is TxRequest:
            # Safe for the same reason Scrapy swaps the parser class: the subclass only
            # adds one attribute with a class-level default.
            request.__class__ = _RecordingTxRequest
        d = super().request(request)
        if self._parser is not None:
            self._parser.__class__ = WireHTTPClientParser
            self._parser.max_head = self.max_head  # type: ignore[attr-defined]
        return d


class WireHTTP11ClientFactory(_LenientHTTP11ClientFactory):
    def __init__(self, *args: Any, max_head: int = DEFAULT_MAX_RESPONSE_HEAD) -> None:
        super().__init__(*args)
        self.max_head = max_head

    def buildProtocol(self, addr: IAddress | None) -> WireHTTP11ClientProtocol:
        protocol = WireHTTP11ClientProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]
        protocol.max_head = self.max_head
        return protocol


class _PrefixKeepingReader(_ResponseReader):
    """Scrapy's body reader that hands over what it had when a body is cut short."""

    _wire: WireExchange  # set right after the class is swapped in

    def dataReceived(self, data: bytes) -> None:
        if (
            not self._finished.called
            and self._maxsize
            and self._bytes_received + len(data) > self._maxsize
        ):
            keep = self._maxsize - self._bytes_received
            self._wire.partial_body = self._bodybuf.getvalue() + data[:keep]
            self._wire.truncated = "length"
        super().dataReceived(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self._finished.called and self._fail_on_dataloss and reason.check(ResponseFailed):
            self._wire.partial_body = self._bodybuf.getvalue()
            self._wire.truncated = "disconnect"
        super().connectionLost(reason)


class _WireScrapyAgent(_ScrapyAgent):
    def _cb_bodyready(
        self, txresponse: TxResponse, request: Request
    ) -> _ResultT | Deferred[_ResultT]:
        wire: WireExchange | None = getattr(txresponse, _WIRE_ATTRIBUTE, None)
        if wire is not None:
            ip = getattr(txresponse, "_scrapy_ip_address", None)
            wire.ip_address = str(ip) if ip is not None else None
            request.meta[WIRE_META_KEY] = wire
            maxsize = request.meta.get("download_maxsize", self._maxsize)
            length = txresponse.length
            if maxsize and length != UNKNOWN_LENGTH and int(length) > maxsize:  # type: ignore[call-overload]
                # Scrapy cancels before reading any of it: the head is all there is.
                wire.partial_body = b""
                wire.truncated = "length"
            else:
                deliver = txresponse.deliverBody

                def deliver_keeping(protocol: Any) -> None:
                    if type(protocol) is _ResponseReader:
                        protocol.__class__ = _PrefixKeepingReader
                        protocol._wire = wire  # type: ignore[attr-defined]
                    deliver(protocol)

                txresponse.deliverBody = deliver_keeping  # type: ignore[method-assign]
        return super()._cb_bodyready(txresponse, request)


class WireHTTP11DownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` that records a ``WireExchange`` for every response."""

    # A subclass may substitute its own agent (crawler.address_guard does).
    agent_class: Any = _WireScrapyAgent

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.max_head = crawler.settings.getint("NEWSARCHIVE_MAX_RESPONSE_HEAD")
        self._pool._factory = functools.partial(WireHTTP11ClientFactory, max_head=self.max_head)

    async def download_request(self, request: Request) -> Response:
        # A redirect or retry copies meta: never let an earlier exchange stand for this one.
        request.meta.pop(WIRE_META_KEY, None)
        agent = self.agent_class(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except DownloadFailedError as exc:
            if not _head_too_large(exc):
                raise
            if self._crawler.stats is not None:
                self._crawler.stats.inc_value("wire/head_too_large")
            logger.warning("Response head of %s over %d bytes: download dropped, not archived",
                           request.url, self.max_head)
            raise ResponseHeadTooLarge(
                f"response head over {self.max_head} bytes (NEWSARCHIVE_MAX_RESPONSE_HEAD)"
            ) from None
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise


def _head_too_large(exc: BaseException) -> bool:
    """Whether a failed download was failed by :class:`ResponseHeadTooLarge`."""
    cause = exc.__cause__
    reasons = getattr(cause, "reasons", None) or []
    return any(isinstance(r, Failure) and r.check(ResponseHeadTooLarge) for r in reasons)
