"""Finding article URLs: listing links, pagination, feeds and news sitemaps."""
