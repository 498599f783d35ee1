"""`newsarchive schedule`: the cron loop (``loop``), its plan (``plan``), cron checks
(``cron``), finished runs and backoff (``runs``), the scheduler's liveness lock
(``liveness``) and crawls a dead scheduler left (``orphans``).  Not Scrapy's scheduler."""
