"""The bundled demo news site (``newsarchive demo``) and the HTTP server that serves it."""

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoResponse, DemoSite

__all__ = ["DemoResponse", "DemoServer", "DemoSite"]
