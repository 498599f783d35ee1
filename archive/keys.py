"""Archive keys read from manifests and listings: which may be used as paths.

A key comes from data (a crawl manifest, an S3 listing) and is joined to a local directory
by ``replay``'s cache and ``verify``; every reader checks it here first.
"""

from __future__ import annotations


def key_problem(key: object) -> str | None:
    """Why ``key`` (from a manifest or a listing) may not be used as a relative path inside
    an archive, or None when it may."""
    if not isinstance(key, str) or not key:
        return "not a non-empty string"
    if "\0" in key:
        return "contains a NUL byte"
    if "\\" in key:
        return "contains a backslash"
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        return "is absolute"
    if any(part in ("..", ".") for part in key.split("/")):
        return "has a '.' or '..' part"
    if "//" in key or key.endswith("/"):
        return "has an empty part"
    return None
