"""The `schedule` command's cron loop (``loop``), its plan (``plan``) and cron checks
(``cron``): not to be confused with Scrapy's request scheduler."""
