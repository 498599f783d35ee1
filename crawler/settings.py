"""Every newsarchive default, grouped by prefix.  Scrapy reads this module via scrapy.cfg.

Site-specific values (delay, concurrency, autothrottle) come from the site YAML and are
applied by the spider; everything else can be overridden with ``-s NAME=VALUE``.
"""

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Politeness and fetching -------------------------------------------------------------
USER_AGENT = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive; web archiving)"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
# Bodies larger than this (on the wire or once decompressed) are cancelled, counted and
# logged; this also bounds gzip bombs.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# A connection lost mid-body still yields what arrived: archived with WARC-Truncated,
# never extracted.
DOWNLOAD_FAIL_ON_DATALOSS = False
REDIRECT_MAX_TIMES = 10
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# Breadth-first: sections and listings before the articles they link to.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Each article response yields one item: a few concurrent items per response is plenty, and
# Scrapy's default of 100 costs a task per slot (bench/crawl.py: -17% CPU archive-only).
CONCURRENT_ITEMS = 4
# 8-byte request fingerprints: ~17 bytes per URL instead of ~87 (bench/dupefilter.py);
# requests.seen stays compatible with Scrapy's RFPDupeFilter for JOBDIR resumes.
DUPEFILTER_CLASS = "crawler.dupefilter.CompactDupeFilter"
# MemoryStatsCollector without its deprecation shim on every attribute (crawler/stats.py).
STATS_CLASS = "crawler.stats.PlainStatsCollector"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# Records the status line, header lines and request head exactly as on the wire
# (archive.wire); the capture middleware writes them into the WARC.  The address guard
# connects only to addresses the site allows (crawler.address_guard).
DOWNLOAD_HANDLERS = {
    "http": "crawler.address_guard.AddressGuardDownloadHandler",
    "https": "crawler.address_guard.AddressGuardDownloadHandler",
}
# A response head (status line + headers) longer than this ends the download as it arrives:
# counted (wire/head_too_large), logged with the URL, not archived, not retried.  Browsers
# stop at about as much.
NEWSARCHIVE_MAX_RESPONSE_HEAD = 256 * 1024

DOWNLOADER_MIDDLEWARES = {
    # Refuses URLs that name a loopback/private address outright unless the site allows them
    # (names are checked on what they resolve to, by the download handler).
    "crawler.address_guard.PrivateAddressMiddleware": 60,
    # Scrapy's decompression, except for article pages: their extraction workers decode them.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.DeferredDecompressionMiddleware": 590,
    # Scrapy's, reading each page's head before decoding the whole page for a refresh tag.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.HeadFirstMetaRefreshMiddleware": 580,
    # Last on the way out, first on the way back: sees the request after every other
    # middleware (cookies, user agent, Accept-Encoding) and the response before
    # decompression, redirect handling or retries.
    "archive.capture.WarcCaptureMiddleware": 950,
    # Drops known articles not due for a re-check; re-checks conditionally.  Above the
    # redirect middleware, so a redirect's target is looked up too.
    "crawler.incremental.IncrementalMiddleware": 700,
}
ITEM_PIPELINES = {
    "pipelines.articles.ArticleExtractionPipeline": 300,
    # Drops unchanged articles, numbers revisions (schema 1.2).
    "pipelines.revisions.RevisionPipeline": 400,
    # The record's lead image → its archived copy (image.warc), waiting for the fetch.
    "pipelines.lead_image.LeadImagePointer": 410,
    # After extraction: lets exactly NEWSARCHIVE_MAX_ARTICLES records through.
    "crawler.article_limit.ArticleLimit": 900,
}
EXTENSIONS = {
    "archive.manifest.CrawlManifest": 100,
    "crawler.progress.Progress": 200,
    # Drops (and counts) new requests while NEWSARCHIVE_MAX_QUEUED_REQUESTS wait.
    "crawler.queue_bound.QueuedRequestsBound": 300,
    # Ends the crawl on NEWSARCHIVE_MAX_RUN_SECONDS / NEWSARCHIVE_IDLE_SECONDS.
    "crawler.watchdog.CrawlWatchdog": 400,
}

# Scrapy's downloader, able to drop queued requests and cancel transfers on Ctrl-C.
DOWNLOADER = "crawler.stopping.StoppableDownloader"

# --- Output (NEWSARCHIVE_) -----------------------------------------------------------------
# A local directory or a storage URI; every file lands under the DESIGN.md key layout.
NEWSARCHIVE_OUTPUT = "newsarchive-data"
# Set by the CLI so that several crawlers of one run share an id; generated when empty.
NEWSARCHIVE_CRAWL_ID = ""
# Extraction off: archive only (JSONL later with `newsarchive reextract`).
NEWSARCHIVE_EXTRACT = True
NEWSARCHIVE_OPERATOR = ""
# Fewest words of body text a page needs to be kept as an article: pages without article
# markup (og:type article, a schema.org Article type) need more, as listings and static
# pages are often long.  Shorter pages are counted as `too-little-text` (the summary says so).
NEWSARCHIVE_ARTICLE_MIN_WORDS = 200
NEWSARCHIVE_ARTICLE_MIN_WORDS_WITH_MARKUP = 40
# On the first Ctrl-C/SIGTERM, transfers under way get this many seconds to finish before
# they are cancelled (requests not yet sent are dropped at once); then the WARC is closed.
NEWSARCHIVE_STOP_GRACE = 5.0
# Stop after exactly this many article records (`--max-articles N`); 0 = no limit.
NEWSARCHIVE_MAX_ARTICLES = 0
# Watchdogs (crawler.watchdog): end the crawl cleanly (WARC closed, manifest written with
# finish_reason `timeout` / `idle`) after this many seconds in all / without a response.
# 0 = no limit.  `schedule` sets both from its plan for every run.
NEWSARCHIVE_MAX_RUN_SECONDS = 0
NEWSARCHIVE_IDLE_SECONDS = 0

# --- Incremental crawling (NEWSARCHIVE_) ----------------------------------------------------
# Repeated crawls into one archive fetch known articles again only when the recrawl policy says
# so, conditionally, and write JSONL records only for new or changed articles (revisions).
# Off: every crawl is complete and writes every article (schema 1.1 records).
NEWSARCHIVE_INCREMENTAL = True
# `--full`: fetch every known article again (revisions are still recorded).
NEWSARCHIVE_FULL_CRAWL = False
# Defaults of a site config's `recrawl:` (durations: 90s, 30m, 6h, 2d, or seconds): known
# articles published (or first seen) less than YOUNGER_THAN ago are re-checked once per EVERY.
NEWSARCHIVE_RECRAWL_YOUNGER_THAN = "24h"
NEWSARCHIVE_RECRAWL_EVERY = "6h"
# Entries the seen-store of a site keeps (the least recently checked go first, and are then
# fetched as new if found again); about 600 bytes each in SQLite (bench/seen_store.py): the
# default bounds a site's file near 150 MB, a year of a large site's articles.
NEWSARCHIVE_SEEN_STORE_MAX_URLS = 250_000

# --- Hostile input (NEWSARCHIVE_) -----------------------------------------------------------
# Networks a site with allow_private_addresses: false may still reach ("10.1.0.0/16",
# "192.0.2.7"): an intranet mirror.  Every other loopback, private, link-local or otherwise
# non-global address is refused at connection time, counted as skipped/private_address/<reason>.
NEWSARCHIVE_ALLOWED_NETWORKS: list[str] = []
# What one page may add to a crawl; each limit, when hit, is counted under skipped/ and logged.
# Links read per listing page or feed (skipped/links_over_limit); parsing runs off the reactor.
NEWSARCHIVE_MAX_LINKS_PER_PAGE = 5000
# Worker processes the page parsers (listing links, feeds, sitemaps, page requisites) run in,
# off the crawl process and its GIL (crawler/parser_pool.py); 0: the reactor's thread pool.
NEWSARCHIVE_PARSER_PROCESSES = 1
# Entries read per sitemap, the sitemaps protocol's own limit (skipped/sitemap_truncated).
NEWSARCHIVE_SITEMAP_MAX_URLS = 50_000
# Sitemaps fetched per crawl, configured ones and those sitemap indexes list
# (skipped/sitemaps_over_limit).
NEWSARCHIVE_MAX_SITEMAPS = 1000
# Requests waiting in the scheduler, in memory or in JOBDIR's disk queues; new ones beyond
# it are dropped (skipped/queue_full).  About 1-2 KB of memory each without JOBDIR.  0: no bound.
NEWSARCHIVE_MAX_QUEUED_REQUESTS = 100_000

# --- Page requisites (NEWSARCHIVE_REQUISITE…) ------------------------------------------------
# Images, stylesheets (and what they @import / url()), fonts, scripts, icons and posters of
# article pages (site config: requisites, requisites_on_listings, requisite_domains…), each
# URL fetched once per crawl with the crawl's politeness.  Off: pages only.
NEWSARCHIVE_REQUISITES = True
# Bodies larger are cut, archived as WARC-Truncated and counted (requisites/failed/too_large).
NEWSARCHIVE_REQUISITE_MAX_BYTES = 20 * 1024 * 1024
# Requisites read per page or stylesheet; more are counted (requisites/skipped/over_page_limit).
NEWSARCHIVE_REQUISITES_PER_PAGE = 300
# Stylesheets importing stylesheets: at most this deep (requisites/skipped/import_too_deep).
NEWSARCHIVE_REQUISITE_IMPORT_DEPTH = 5
# A record waits at most this many seconds for its lead image to be archived, to point at it
# (image.warc); after that it goes out without the pointer (requisites/lead_image/not_waited).
NEWSARCHIVE_LEAD_IMAGE_WAIT = 30.0

# --- Shared Redis frontier (FRONTIER_): `newsarchive worker`, seeded by `crawl --redis` ------
# The Redis client itself is handed to the crawler by the CLI and never kept in a setting:
# Scrapy logs overridden settings, and the URL may carry a password.
# True in a worker: its requests come from the shared frontier (SCHEDULER =
# "crawler.frontier.scheduler.RedisFrontierScheduler"), so a worker the others left nothing to is not a
# failed crawl.
FRONTIER_SHARED = False
# Seconds a worker's liveness key and its per-host leases live without a refresh (refreshed
# every third of it): a dead worker's in-flight requests are reclaimed this long after it
# died, and each host it was fetching from freed when its lease lapses, this long after the
# lease's last refresh (or, for a lease taken since, after it was taken).
NEWSARCHIVE_FRONTIER_WORKER_TTL = 30.0
# Seconds between a worker's looks at the shared queue while no host it may fetch from has
# its turn (leases all taken, or nothing queued: other workers may add links).
NEWSARCHIVE_FRONTIER_POLL_INTERVAL = 0.25

# --- WARC capture (WARC_) ------------------------------------------------------------------
WARC_ENABLED = True
WARC_MAX_SIZE = 1_000_000_000
WARC_GZIP_LEVEL = 6
# Threads that hash and gzip records beside the crawl (both release the GIL); 0: on the
# reactor's thread.
WARC_RECORD_THREADS = 2
# Payloads already archived for the same URL (this or an earlier crawl into the same output)
# become identical-payload-digest revisit records (index: state/dedup.sqlite).
WARC_DEDUP = True
# Write a CDXJ index beside every WARC when it is closed.
WARC_CDXJ = True

# --- Extraction (EXTRACT_) -----------------------------------------------------------------
# Pages larger than this (decoded bytes) are archived but not extracted (counted skip).
EXTRACT_MAX_BYTES = 8 * 1024 * 1024
# Worker processes for extraction; -1 = one per core, 0 = inline on the reactor thread.
EXTRACT_WORKERS = -1

LOG_FORMATTER = "crawler.logformatter.NewsArchiveLogFormatter"

# --- Terminal progress (NEWSARCHIVE_PROGRESS) ------------------------------------------------
NEWSARCHIVE_PROGRESS = False
NEWSARCHIVE_PROGRESS_INTERVAL = 10.0

# --- Object storage (STORAGE_) ---------------------------------------------------------------
# For NEWSARCHIVE_OUTPUT = s3://bucket/prefix.  Credentials come only from the AWS credential
# chain (environment, profile, instance role), never from settings or site configs.
STORAGE_S3_ENDPOINT_URL = None  # MinIO, Ceph RGW, R2…; AWS_ENDPOINT_URL works too
STORAGE_S3_REGION = None
STORAGE_S3_ADDRESSING_STYLE = None  # "path" or "virtual"
STORAGE_S3_PROFILE = None
# Files are written to a local spool and uploaded when closed; default ~/.cache/newsarchive/spool
STORAGE_SPOOL_DIR = None
# Stop the crawl cleanly (no truncated WARC) when the spool's disk has less free than this.
STORAGE_SPOOL_MIN_FREE = None
STORAGE_UPLOAD_WORKERS = 2
# Upload tuning (None = the storage backend's default: multipart from 64 MiB in 16 MiB
# parts, 4 parts in flight, retries with exponential backoff and jitter).
STORAGE_S3_MULTIPART_THRESHOLD = None
STORAGE_S3_PART_SIZE = None
STORAGE_S3_PART_CONCURRENCY = None
STORAGE_S3_RETRY_ATTEMPTS = None
STORAGE_S3_CLIENT_ATTEMPTS = None
STORAGE_S3_RETRY_BASE_DELAY = None
STORAGE_S3_RETRY_MAX_DELAY = None
STORAGE_S3_CONNECT_TIMEOUT = None
STORAGE_S3_READ_TIMEOUT = None

# --- Browser rendering (NEWSARCHIVE_RENDER_): sites with `render: true` --------------------
# Their article pages load in one shared Chromium through scrapy-playwright (crawler.render);
# every exchange of the load is archived (archive.browser_capture).  Debian's chromium
# package: Playwright's own browser download is never used.
NEWSARCHIVE_RENDER_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
}
# Seconds a page may take to load (its `load` event); a slower page fails, counted, and
# what it loaded so far is archived.
NEWSARCHIVE_RENDER_TIMEOUT = 30.0
# After `load`, seconds to wait for the network to go quiet (scripts fetching the text);
# a page still busy then is archived and extracted as it is.
NEWSARCHIVE_RENDER_IDLE_TIMEOUT = 10.0
# Pages open at once in the browser (one context).
NEWSARCHIVE_RENDER_MAX_PAGES = 4
# A page lost with a crashed browser is loaded again this many times (the browser restarts).
NEWSARCHIVE_RENDER_CRASH_RETRIES = 2
# Keep the rendered DOM the record was extracted from, as a `conversion` record.
NEWSARCHIVE_RENDER_KEEP_DOM = True
