"""Plans are read as strictly as site configs; a bad allowed-networks setting is bad usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.cli import main
from crawler.errors import ConfigError
from crawler.schedule.plan import load_plan

SITE = "name: alpha\nstart_urls: [http://127.0.0.1:9/]\nschedule: '0 * * * *'\n"


@pytest.mark.parametrize("plan, problem", [
    ("sites: [alpha.yaml]\nsites: [alpha.yaml]\n", "duplicate"),
    ("x: &a [alpha.yaml]\nsites: *a\n", "alias"),
    ("sites: [alpha.yaml]\n" + "# padding\n" * 120_000, "larger than 1024 kib"),
])
def test_plans_refuse_duplicates_aliases_and_huge_files(tmp_path: Path, plan: str,
                                                        problem: str) -> None:
    (tmp_path / "alpha.yaml").write_text(SITE, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_plan(tmp_path / "plan.yaml")
    assert problem in str(caught.value).lower()


def test_bad_allowed_networks_is_exit_2_before_anything_is_fetched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "alpha.yaml").write_text(SITE, encoding="utf-8")
    out = tmp_path / "out"
    status = main(["crawl", str(tmp_path / "alpha.yaml"), "--out", str(out),
                   "-s", "NEWSARCHIVE_ALLOWED_NETWORKS=10.0.0.0/8,not-a-network"])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not-a-network" in err[0]
    assert not out.exists()
