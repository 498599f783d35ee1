"""The crawl's stats collector keeps Scrapy's values without the per-attribute shim."""

from __future__ import annotations

import warnings

from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.spiders.site_spider import SectionSpider
from crawler.stats import PlainStatsCollector


def test_project_settings_use_the_plain_collector():
    assert get_project_settings()["STATS_CLASS"] == "crawler.stats.PlainStatsCollector"


def test_values_and_the_closing_dump_are_scrapys():
    crawler = get_crawler(SectionSpider, {"STATS_CLASS": "crawler.stats.PlainStatsCollector"})
    stats = crawler.stats
    assert isinstance(stats, PlainStatsCollector)
    crawler.spider = type("Spider", (), {"name": "s"})()  # what spider_stats is keyed by
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation shim left to warn
        stats.open_spider()
        stats.inc_value("pages")
        stats.inc_value("pages", 2)
        stats.max_value("largest", 5)
        stats.max_value("largest", 3)
        stats.min_value("smallest", 5)
        stats.min_value("smallest", 3)
        stats.set_value("finish_reason", "finished")
        assert stats.get_value("pages") == 3
        assert stats.get_value("absent", "default") == "default"
        stats.close_spider(reason="finished")
    assert stats.spider_stats["s"] == {"pages": 3, "largest": 5, "smallest": 3,
                                      "finish_reason": "finished"}
