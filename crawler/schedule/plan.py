"""The schedule plan (``PLAN.yaml``): which site configs `schedule` crawls, and when.

```yaml
sites:
  - sites/eutoday.yaml                # crawled on the site's own `schedule:`
  - config: sites/other.yaml
    schedule: "0 */2 * * *"           # overrides the site's own
```

Paths are relative to the plan file.  Cron expressions have five fields (minute hour
day-of-month month day-of-week) and are evaluated in UTC, like crawl ids; a plan's
``schedule:`` may add a sixth field, seconds (croniter's convention: last).  Unknown keys,
a site without a schedule, a bad cron expression and two entries for one site are errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.config import load_site_config, load_yaml_file
from crawler.schedule.cron import check_cron
from crawler.errors import ConfigError

PLAN_KEYS = {"sites"}
ENTRY_KEYS = {"config", "schedule"}


@dataclass(frozen=True)
class PlannedSite:
    name: str
    config: Path  # absolute
    schedule: str


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
    planned: dict[str, PlannedSite] = {}
    for number, entry in enumerate(entries, 1):
        site = _planned_site(entry, base, source, f"sites[{number}]")
        if site.name in planned:
            raise ConfigError(source, f"site {site.name!r} is listed twice "
                              f"({planned[site.name].config} and {site.config})", key="sites")
        planned[site.name] = site
    return list(planned.values())


def _planned_site(entry: Any, base: Path, source: str, where: str) -> PlannedSite:
    override = None
    if isinstance(entry, dict):
        for key in entry:
            if key not in ENTRY_KEYS:
                raise ConfigError(source, f"unknown key (allowed: {', '.join(sorted(ENTRY_KEYS))})",
                                  key=f"{where}.{key}")
        config_name = entry.get("config")
        if "schedule" in entry:
            override = check_cron(entry["schedule"], source, f"{where}.schedule", fields=(5, 6))
    else:
        config_name = entry
    if not isinstance(config_name, str) or not config_name:
        raise ConfigError(source, "must name a site config file", key=where)
    config_path = (base / config_name).resolve()
    site = load_site_config(config_path)
    if override is not None:
        return PlannedSite(site.name, config_path, override)
    if site.schedule is None:
        raise ConfigError(str(config_path), "is not set and the plan gives none", key="schedule")
    expression = check_cron(site.schedule, str(config_path), "schedule", fields=(5,))
    return PlannedSite(site.name, config_path, expression)
