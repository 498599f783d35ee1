"""Site config: one YAML file per site, validated on load into a ``SiteConfig``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawler.cron import check_cron
from crawler.errors import ConfigError

NAME_RE = re.compile(r"^[a-z0-9_-]+$")


@dataclass(frozen=True)
class SiteConfig:
    """A validated site definition (see DESIGN.md, "Site config")."""

    name: str
    start_urls: list[str]
    allowed_domains: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    max_section_pages: int = 5
    article_patterns: list[str] = field(default_factory=list)
    exclude_patterns: list[str] = field(default_factory=list)
    download_delay: float = 1.0
    concurrency: int = 2
    autothrottle: bool = True
    allow_private_addresses: bool = False
    schedule: str | None = None
    source: str = "<dict>"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("source")
        return data


# key -> (accepted types, human type name)
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "name": ((str,), "a string"),
    "start_urls": ((list,), "a list of URLs"),
    "allowed_domains": ((list,), "a list of host names"),
    "feeds": ((list,), "a list of URLs"),
    "sitemaps": ((list,), "a list of URLs"),
    "max_section_pages": ((int,), "an integer"),
    "article_patterns": ((list,), "a list of regular expressions"),
    "exclude_patterns": ((list,), "a list of regular expressions"),
    "download_delay": ((int, float), "a number of seconds"),
    "concurrency": ((int,), "an integer"),
    "autothrottle": ((bool,), "true or false"),
    "allow_private_addresses": ((bool,), "true or false"),
    "schedule": ((str,), "a cron expression string"),
}
_REQUIRED = ("name", "start_urls")


def load_site_config(path: str | Path) -> SiteConfig:
    """Read and validate one site YAML file; raise ``ConfigError`` naming file and key."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, f"cannot be read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(source, f"is not valid YAML{where}: {problem}") from None
    return site_config_from_dict(data, source)


def site_config_from_dict(data: Any, source: str = "<dict>") -> SiteConfig:
    if not isinstance(data, dict):
        raise ConfigError(source, "must be a mapping of keys to values (one site per file)")
    known = {f.name for f in fields(SiteConfig)} - {"source"}
    for key in data:
        if key not in known:
            raise ConfigError(
                source, f"unknown key (allowed: {', '.join(sorted(known))})", key=str(key)
            )
    for key in _REQUIRED:
        if data.get(key) in (None, "", []):
            raise ConfigError(source, "is required", key=key)
    for key, value in data.items():
        if value is None and key not in _REQUIRED:
            continue
        types, type_name = _TYPES[key]
        if isinstance(value, bool) and bool not in types:
            raise ConfigError(source, f"must be {type_name}, not {value!r}", key=key)
        if not isinstance(value, types):
            raise ConfigError(
                source, f"must be {type_name}, not {type(value).__name__} {value!r}", key=key
            )
        if types == (list,):
            for item in value:
                if not isinstance(item, str):
                    raise ConfigError(
                        source, f"must be {type_name}; item {item!r} is not a string", key=key
                    )
    clean = {k: v for k, v in data.items() if v is not None}
    _check_values(clean, source)
    if not clean.get("allowed_domains"):
        clean["allowed_domains"] = sorted({urlsplit(u).hostname or "" for u in clean["start_urls"]})
    return SiteConfig(source=source, **clean)


def _check_values(data: dict[str, Any], source: str) -> None:
    if not NAME_RE.match(data["name"]):
        raise ConfigError(source, "must match [a-z0-9_-]+ (it is used in paths)", key="name")
    for key in ("start_urls", "feeds", "sitemaps"):
        for url in data.get(key, []):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(source, f"{url!r} is not an http(s) URL", key=key)
    for key in ("article_patterns", "exclude_patterns"):
        for pattern in data.get(key, []):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    source, f"invalid regular expression {pattern!r}: {exc}", key=key
                ) from None
    for key, low in (("max_section_pages", 1), ("concurrency", 1)):
        if key in data and data[key] < low:
            raise ConfigError(source, f"must be at least {low}", key=key)
    if data.get("download_delay", 0) < 0:
        raise ConfigError(source, "must not be negative", key="download_delay")
    if "schedule" in data:
        check_cron(data["schedule"], source, "schedule", fields=(5,))
