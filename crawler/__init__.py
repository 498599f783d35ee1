"""newsarchive crawler: site configs, discovery, spiders and the command line."""

from pipelines.versions import PACKAGE_VERSION as __version__

__all__ = ["__version__"]
