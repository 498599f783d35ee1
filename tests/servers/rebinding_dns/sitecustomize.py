"""A rebinding DNS answer for a crawl subprocess (put this folder first on its PYTHONPATH).

The machine has no DNS server to run one that rebinds, so the crawl process's resolver
stands in for it: the name in ``NEWSARCHIVE_TEST_REBINDING_NAME`` answers a public address
to its first lookup and 127.0.0.1 to every later one, as an attacker's name server would.
"""

import os
import socket
import threading

_NAME = os.environ.get("NEWSARCHIVE_TEST_REBINDING_NAME")

if _NAME:
    _resolve = socket.getaddrinfo
    _lock = threading.Lock()
    _lookups = 0

    def _rebinding_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        global _lookups
        name = host.decode() if isinstance(host, bytes) else host
        if name == _NAME:
            with _lock:
                _lookups += 1
                host = "93.184.216.34" if _lookups == 1 else "127.0.0.1"
        return _resolve(host, port, *args, **kwargs)

    socket.getaddrinfo = _rebinding_getaddrinfo
