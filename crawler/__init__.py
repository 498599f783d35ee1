"""newsarchive crawler: site configs, discovery, spiders and the command line."""

__version__ = "0.1.0"
