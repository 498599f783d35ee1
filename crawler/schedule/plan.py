"""The schedule plan (``PLAN.yaml``): which site configs `schedule` crawls, and when.

Each site entry is a config path (relative to the plan) with optional ``schedule``,
``max_run``, ``idle``, ``backoff_max`` and ``full_every`` overriding the site's own or the
plan's defaults.  ``full_every`` (default 0: never) makes a run a full one (``crawl --full``)
when the site has had no successful full run for that long.
Cron expressions are evaluated in UTC (a plan's may add a sixth field, seconds). Unknown keys,
a site without a schedule, a bad cron or duration and a site listed twice are errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.config import load_site_config, load_yaml_file, parse_duration
from crawler.schedule.cron import check_cron
from crawler.errors import ConfigError

DURATION_KEYS = ("max_run", "idle", "backoff_max", "full_every")
PLAN_KEYS = {"sites", *DURATION_KEYS}
ENTRY_KEYS = {"config", "schedule", *DURATION_KEYS}
DEFAULT_MAX_RUN_SECONDS = 6 * 3600.0
DEFAULT_IDLE_SECONDS = 15 * 60.0
DEFAULT_BACKOFF_MAX_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class PlannedSite:
    name: str
    config: Path  # absolute
    schedule: str
    # Watchdogs of every run (the crawl's NEWSARCHIVE_MAX_RUN_SECONDS / _IDLE_SECONDS) and
    # the longest a site's failures may push its next run back.
    max_run: float = DEFAULT_MAX_RUN_SECONDS
    idle: float = DEFAULT_IDLE_SECONDS
    backoff_max: float = DEFAULT_BACKOFF_MAX_SECONDS
    full_every: float = 0.0  # a full run when none succeeded for this long; 0: never


def _durations(data: dict[str, Any], source: str, where: str,
               defaults: dict[str, float]) -> dict[str, float]:
    return {key: parse_duration(data[key], source, f"{where}{key}",
                                allow_zero=key == "full_every") if key in data
            else defaults[key] for key in DURATION_KEYS}


def load_plan(path: str | Path) -> list[PlannedSite]:
    """Read and validate a plan and the site configs it names; ``ConfigError`` on a problem."""
    source = str(path)
    data = load_yaml_file(path, "a schedule plan")
    if not isinstance(data, dict):
        raise ConfigError(source, "must be a mapping with a 'sites' list")
    for key in data:
        if key not in PLAN_KEYS:
            raise ConfigError(source, f"unknown key (allowed: {', '.join(sorted(PLAN_KEYS))})",
                              key=str(key))
    entries = data.get("sites")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(source, "must be a non-empty list of site config files", key="sites")
    base = Path(path).resolve().parent
    defaults = _durations(data, source, "", {"max_run": DEFAULT_MAX_RUN_SECONDS,
                                             "idle": DEFAULT_IDLE_SECONDS,
                                             "backoff_max": DEFAULT_BACKOFF_MAX_SECONDS,
                                             "full_every": 0.0})
    planned: dict[str, PlannedSite] = {}
    for number, entry in enumerate(entries, 1):
        site = _planned_site(entry, base, source, f"sites[{number}]", defaults)
        if site.name in planned:
            raise ConfigError(source, f"site {site.name!r} is listed twice "
                              f"({planned[site.name].config} and {site.config})", key="sites")
        planned[site.name] = site
    return list(planned.values())


def _planned_site(entry: Any, base: Path, source: str, where: str,
                  defaults: dict[str, float]) -> PlannedSite:
    override = None
    limits = defaults
    if isinstance(entry, dict):
        for key in entry:
            if key not in ENTRY_KEYS:
                raise ConfigError(source, f"unknown key (allowed: {', '.join(sorted(ENTRY_KEYS))})",
                                  key=f"{where}.{key}")
        config_name = entry.get("config")
        if "schedule" in entry:
            override = check_cron(entry["schedule"], source, f"{where}.schedule", fields=(5, 6))
        limits = _durations(entry, source, f"{where}.", defaults)
    else:
        config_name = entry
    if not isinstance(config_name, str) or not config_name:
        raise ConfigError(source, "must name a site config file", key=where)
    config_path = (base / config_name).resolve()
    site = load_site_config(config_path)
    if override is not None:
        return PlannedSite(site.name, config_path, override, **limits)
    if site.schedule is None:
        raise ConfigError(str(config_path), "is not set and the plan gives none", key="schedule")
    expression = check_cron(site.schedule, str(config_path), "schedule", fields=(5,))
    return PlannedSite(site.name, config_path, expression, **limits)
