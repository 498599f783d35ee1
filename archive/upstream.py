"""Every private name of Scrapy, Twisted and scrapy-redis that newsarchive relies on.

Modules import those private classes and functions only from here; ``OVERRIDDEN`` lists the
private methods and attributes we override or read. ``tests/test_upstream_contract.py`` checks
every entry against the installed versions, so an upgrade that breaks one fails by name.
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import (
    _BindAddressAgent,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ResponseReader,
    _ResultT,
    _ScrapyAgent,
)
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from twisted.web._newclient import HEADER, STATUS, ResponseFailed
from twisted.web._newclient import Request as TxRequest
from twisted.web.client import _StandardEndpointFactory

__all__ = [
    "HEADER",
    "OVERRIDDEN",
    "STATUS",
    "INSTANCE_ATTRIBUTES",
    "ResponseFailed",
    "TxRequest",
    "_BindAddressAgent",
    "_DecompressionMaxSizeExceeded",
    "_LenientHTTP11ClientFactory",
    "_LenientHTTP11ClientProtocol",
    "_LenientHTTPClientParser",
    "_ResponseReader",
    "_ResultT",
    "_ScrapyAgent",
    "_StandardEndpointFactory",
    "get_dataloss_msg",
    "wrap_twisted_exceptions",
]

#: (class path, method name) -> the parameter names we override or call it with.
OVERRIDDEN: dict[tuple[str, str], tuple[str, ...]] = {
    # archive/wire.py: the request head as sent, the response head as received
    ("twisted.web._newclient.Request", "_writeHeaders"): ("self", "transport", "TEorCL"),
    ("scrapy.core.downloader.handlers.http11._ScrapyAgent", "_cb_bodyready"):
        ("self", "txresponse", "request"),
    # crawler/address_guard.py: the direct-connection agent, resolving through a filter
    ("scrapy.core.downloader.handlers.http11._ScrapyAgent", "_get_agent"):
        ("self", "request", "timeout"),
    # pipelines/responses.py: the middleware's own decoding, outside a crawl
    ("scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware", "_decode"):
        ("body", "encoding", "max_size"),
    ("scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
     "_split_encodings"): ("content_encoding",),
    # crawler/stopping.py: drop and give up on the first Ctrl-C, exit on the second
    ("scrapy.core.downloader.Downloader", "_wait_for_download"):
        ("self", "slot", "request", "queue_dfd"),
    ("scrapy.core.downloader.Downloader", "_download"): ("self", "slot", "request"),
    ("scrapy.crawler.CrawlerProcess", "_signal_shutdown"): ("self", "signum", "_"),
    ("scrapy.crawler.CrawlerProcess", "_signal_kill"): ("self", "signum", "_"),
    ("scrapy.crawler.CrawlerProcess", "_stop_reactor"): ("self", "_"),
    # crawler/frontier/scheduler.py: requests queued by the frontier's own Lua scripts
    ("scrapy_redis.queue.Base", "_encode_request"): ("self", "request"),
    ("scrapy_redis.queue.Base", "_decode_request"): ("self", "encoded_request"),
}

#: Private attributes read or set on instances: (class path, attribute names).
INSTANCE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    # crawler/frontier/scheduler.py: the engine asked for the next request when a host's turn
    # comes (it asks by itself only when a download ends, and every 5 s)
    "scrapy.core.engine.ExecutionEngine": ("_slot",),
    "scrapy.core.engine._Slot": ("nextcall",),
    "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler": (
        "_pool", "_contextFactory", "_default_maxsize", "_default_warnsize", "_fail_on_dataloss",
        "_fail_on_dataloss_warned",
    ),
    "twisted.web.client.HTTPConnectionPool": ("_factory",),
    "scrapy.core.downloader.handlers.http11._ScrapyAgent": (
        "_contextFactory", "_pool", "_maxsize", "_warnsize", "_fail_on_dataloss",
    ),
    "scrapy.core.downloader.handlers.http11._BindAddressAgent": ("_endpointFactory",),
    "twisted.web.client._StandardEndpointFactory": (
        "_policyForHTTPS", "_connectTimeout", "_bindAddress",
    ),
    "scrapy.core.downloader.handlers.http11._ResponseReader": (
        "_maxsize", "_bytes_received", "_finished", "_fail_on_dataloss",
    ),
}
