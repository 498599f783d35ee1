"""Site config: one YAML file per site, validated on load into a ``SiteConfig``."""

from __future__ import annotations

import importlib.util
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from crawler.schedule.cron import check_cron
from crawler.errors import ConfigError

NAME_RE = re.compile(r"[a-z0-9_-]{1,100}")
# A site config is a few hundred bytes; the cap keeps a hostile or mistaken file (or a device
# such as /dev/zero) from being read into memory whole.
MAX_CONFIG_BYTES = 1024 * 1024
# Finite upper bounds: a larger value is a typo, and ``.inf``/``.nan`` would hang the crawl.
MAX_DOWNLOAD_DELAY = 3600.0
MAX_CONCURRENCY = 100
MAX_SECTION_PAGES = 10_000
# Host names as allowed_domains compares them: no scheme, port, path or whitespace.
DOMAIN_RE = re.compile(r"[^\s/:@?#\[\]\\]{1,253}")
# durations (recrawl policy, schedule plans): a number and a unit, 90s, 30m, 6h, 2d (no unit:
# seconds)
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DURATION = 3650 * 86400.0
RECRAWL_KEYS = ("younger_than", "every", "max_urls")


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
    # Article pages through a real browser (crawler.render): scripts run, every exchange
    # of the page load is archived, the record is extracted from the rendered DOM.
    render: bool = False
    # Page requisites (crawler.requisites): on for article pages; listings, every srcset
    # candidate and robots.txt-free fetching by switch; requisite_domains restricts the hosts.
    requisites: bool = True
    requisites_on_listings: bool = False
    requisites_all_srcset: bool = False
    requisites_ignore_robots: bool = False
    requisite_domains: list[str] = field(default_factory=list)
    # {younger_than: 48h, every: 6h, max_urls: N}: which known articles a run re-checks
    # (crawler.incremental), as validated by ``recrawl_policy``.
    recrawl: dict[str, Any] | None = None
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
    "render": ((bool,), "true or false"),
    "requisites": ((bool,), "true or false"),
    "requisites_on_listings": ((bool,), "true or false"),
    "requisites_all_srcset": ((bool,), "true or false"),
    "requisites_ignore_robots": ((bool,), "true or false"),
    "requisite_domains": ((list,), "a list of host names"),
    "recrawl": ((dict,), "a mapping (younger_than, every, max_urls)"),
}
_REQUIRED = ("name", "start_urls")


def load_site_config(path: str | Path) -> SiteConfig:
    """Read and validate one site YAML file; raise ``ConfigError`` naming file and key."""
    return site_config_from_dict(load_yaml_file(path, "a site config"), str(path))


def load_yaml_file(path: str | Path, what: str) -> Any:
    """One small YAML file (at most ``MAX_CONFIG_BYTES``, UTF-8, strict), as data."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(source, "file not found") from None
    except OSError as exc:
        raise ConfigError(source, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            source, f"is larger than {MAX_CONFIG_BYTES // 1024} KiB; {what} is a few lines"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, f"is not UTF-8 text (byte {exc.start})") from None
    return load_strict_yaml(text, source)


def key_text(key: Any) -> str:
    """A key as it can be shown on one line (control characters escaped)."""
    text = str(key)
    return text if text.isprintable() else repr(text)[1:-1]


class _StrictYamlError(Exception):
    """Raised inside the loader; ``load_strict_yaml`` turns it into a ``ConfigError``."""

    def __init__(self, problem: str, key: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.key = key


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and without duplicate mapping keys.

    Aliases are refused rather than bounded: a site config has no use for them, and a few
    nested ones expand a small file into gigabytes.  Duplicate keys are an error, not "the
    last one wins".
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise _StrictYamlError(
                f"uses a YAML alias at line {mark.line + 1}; "
                "aliases are not allowed in a site config"
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    hash(key)
                except TypeError:
                    raise _StrictYamlError(
                        f"has a list or mapping as a key at line {line}"
                    ) from None
                if key in first_line:
                    raise _StrictYamlError(
                        f"appears twice (lines {first_line[key]} and {line})", key=key_text(key)
                    )
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def load_strict_yaml(text: str, source: str) -> Any:
    """Parse one YAML document: no aliases, no duplicate keys; errors as ``ConfigError``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _StrictYamlError as exc:
        raise ConfigError(source, exc.problem, key=exc.key) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(source, f"is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise ConfigError(source, "is nested too deeply to be a site config") from None
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp such as 2025-02-30
        raise ConfigError(source, f"has a value YAML cannot represent: {exc}") from None


def site_config_from_dict(data: Any, source: str = "<dict>") -> SiteConfig:
    if not isinstance(data, dict):
        raise ConfigError(source, "must be a mapping of keys to values (one site per file)")
    known = {f.name for f in fields(SiteConfig)} - {"source"}
    for key in data:
        if key not in known:
            raise ConfigError(
                source, f"unknown key (allowed: {', '.join(sorted(known))})", key=key_text(key)
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
    if not NAME_RE.fullmatch(data["name"]):
        raise ConfigError(
            source, "must match [a-z0-9_-]+, at most 100 characters (it is used in paths)",
            key="name",
        )
    for key in ("start_urls", "feeds", "sitemaps"):
        for url in data.get(key, []):
            if not _is_http_url(url):
                raise ConfigError(source, f"{url!r} is not an http(s) URL", key=key)
    for key in ("allowed_domains", "requisite_domains"):
        for domain in data.get(key, []):
            if not DOMAIN_RE.fullmatch(domain):
                raise ConfigError(
                    source, f"{domain!r} is not a host name (no scheme, port, path or spaces)",
                    key=key,
                )
    for key in ("article_patterns", "exclude_patterns"):
        for pattern in data.get(key, []):
            try:
                re.compile(pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                raise ConfigError(
                    source, f"invalid regular expression {pattern!r}: {exc}", key=key
                ) from None
    for key, low, high in (("max_section_pages", 1, MAX_SECTION_PAGES),
                           ("concurrency", 1, MAX_CONCURRENCY)):
        if key in data and not low <= data[key] <= high:
            raise ConfigError(
                source, f"must be at least {low} and at most {high}, not {data[key]}", key=key
            )
    delay = data.get("download_delay", 0)
    if not 0 <= delay <= MAX_DOWNLOAD_DELAY:  # also false for .nan; .inf is above the bound
        raise ConfigError(
            source, f"must be a number of seconds from 0 to {MAX_DOWNLOAD_DELAY:g}, not {delay!r}",
            key="download_delay",
        )
    if "schedule" in data:
        check_cron(data["schedule"], source, "schedule", fields=(5,))
    if data.get("render") and importlib.util.find_spec("scrapy_playwright") is None:
        raise ConfigError(
            source, "true needs scrapy-playwright: pip install 'newsarchive[render]'", key="render"
        )
    if "recrawl" in data:
        recrawl_policy(data["recrawl"], source)


@dataclass(frozen=True)
class RecrawlPolicy:
    """Known articles published (or first seen) less than ``younger_than`` seconds ago are
    re-checked once per ``every`` seconds; the seen-store keeps at most ``max_urls``."""

    younger_than: float | None = None
    every: float | None = None
    max_urls: int | None = None


def parse_duration(value: Any, source: str, key: str, *, allow_zero: bool = False) -> float:
    """Seconds from ``90``, ``"90s"``, ``"30m"``, ``"6h"`` or ``"2d"``, at most 3650 days and
    more than zero (or zero too, with ``allow_zero``); ``ConfigError`` naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(source, f"must be a duration such as 90s, 30m or 2h, not {value!r}",
                          key=key)
    match = DURATION_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if isinstance(value, str) and match is None:
        raise ConfigError(source, f"{value!r} is not a duration (e.g. 90s, 30m, 2h, 1d)", key=key)
    seconds = float(value) if match is None else float(match[1]) * DURATION_UNITS[match[2]]
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(source, f"must be {'zero or more' if allow_zero else 'more than zero'}"
                          f", not {value!r}", key=key)
    if seconds > MAX_DURATION:
        raise ConfigError(source, f"must be at most 3650d, not {value!r}", key=key)
    return seconds


def recrawl_policy(data: Any, source: str = "<dict>") -> RecrawlPolicy:
    """The site config's ``recrawl`` mapping, checked; unset values stay None (the
    ``NEWSARCHIVE_RECRAWL_*`` settings' defaults apply)."""
    if data is None:
        return RecrawlPolicy()
    if not isinstance(data, dict):
        raise ConfigError(source, f"must be a mapping (younger_than, every, max_urls), "
                          f"not {data!r}", key="recrawl")
    for key in data:
        if key not in RECRAWL_KEYS:
            raise ConfigError(source, f"unknown key (allowed: {', '.join(RECRAWL_KEYS)})",
                              key=f"recrawl.{key_text(key)}")
    durations = {key: parse_duration(data[key], source, f"recrawl.{key}", allow_zero=True)
                 for key in ("younger_than", "every") if data.get(key) is not None}
    max_urls = data.get("max_urls")
    if max_urls is not None and (isinstance(max_urls, bool) or not isinstance(max_urls, int)
                                 or max_urls < 1):
        raise ConfigError(source, f"must be a whole number of at least 1, not {max_urls!r}",
                          key="recrawl.max_urls")
    return RecrawlPolicy(max_urls=max_urls, **durations)


def _is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host, written without whitespace or control characters."""
    if not url or any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
