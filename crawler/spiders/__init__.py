"""Spiders (Scrapy finds them through SPIDER_MODULES)."""
