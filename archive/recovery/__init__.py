"""Crash recovery: what a killed crawl left, made whole and listed in a ``recovered`` manifest.

``warc_files`` cuts ``.open`` WARCs back to their last whole record; ``local_crawl`` recovers
the crawls of a local output (``recover``, the next crawl), ``spool`` those of a spool
(``upload --pending``).  Both build their manifest with ``archive.manifest``.
"""
