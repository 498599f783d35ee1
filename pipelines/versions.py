"""The two version numbers newsarchive reports, in one place.

``PACKAGE_VERSION`` is the distribution's (pyproject reads it from here); ``EXTRACTOR_VERSION``
names the extraction rules that made a record and changes when records would change.  Both
appear in ``newsarchive --version``, in every crawl manifest and in every warcinfo record.
This module imports nothing so archive/, pipelines/ and crawler/ can all use it.
"""

PACKAGE_NAME = "newsarchive"
PACKAGE_VERSION = "0.1.0"
EXTRACTOR_NAME = "newsarchive"
EXTRACTOR_VERSION = "0.4.0"

