"""Imported by the extraction workers' fork server (and before a folder run forks): builds
the extractor's one-time tables once, so every worker forked from it starts warm.

The one that matters is dateparser's: htmldate falls back to it for dates its own patterns
miss, and its first call compiles the word tables of some 200 locales, about 3 CPU-seconds,
which every worker would otherwise pay on the first page that needs it.
"""

from __future__ import annotations

from .dates import warm_up

warm_up()
