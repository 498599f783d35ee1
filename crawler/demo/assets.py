"""The demo site's page furniture: stylesheets (one @importing a shared one that loads a
font), the shared logo and the lead images' srcset variants.  A crawl with page requisites
archives all of it; replay shows the page as styled as it was served."""

from __future__ import annotations

import hashlib

LOGO_PATH = "/wp-content/uploads/2024/01/logo.png"
BASE_CSS_PATH = "/assets/css/base.css"
FONT_PATH = "/assets/fonts/harbour-sans.woff2"
# Each markup family links its own stylesheet; each one @imports the shared base.
FAMILY_CSS_PATHS = {
    "wordpress": "/wp-content/themes/harbour-magazine/style.css",
    "publisher": "/static/css/publisher.css",
    "drupal": "/sites/default/files/css/css_demo.css",
}
# Scripts the templates load (they do nothing).
SCRIPT_PATHS = ("/wp-content/themes/harbour-magazine/js/main.js", "/assets/javascripts/app.js")
# Widths of a lead image's srcset variants: ``<image path minus .png>-<width>.png``.
SRCSET_WIDTHS = (600, 1200)

BASE_CSS = f"""@font-face {{
  font-family: "Harbour Sans";
  src: url("{FONT_PATH}") format("woff2");
  font-display: swap;
}}
html {{ background: #f3ead8; }}
body {{ margin: 0 auto; max-width: 1100px; padding: 24px 32px; background: #fffaf0;
  color: #1d2733; font: 17px/1.6 "Harbour Sans", Georgia, serif; }}
a {{ color: #0b5d8f; }}
h1 {{ font-size: 40px; line-height: 1.15; color: #0d2f4f; }}
img {{ max-width: 100%; height: auto; }}
figure img {{ display: block; width: 100%; height: 360px; object-fit: cover;
  border: 6px solid #0d2f4f; }}
.site-logo {{ display: block; width: 320px; height: 60px; }}
"""

FAMILY_CSS = {
    "wordpress": f"""@import url("{BASE_CSS_PATH}");
#header {{ background: #0d2f4f; color: #f3ead8; padding: 12px 18px; }}
#header .logo img {{ background: #f3ead8; }}
#header a {{ color: #f3ead8; }}
.penci-top-bar {{ background: #c8553d; padding: 6px 12px; }}
""",
    "publisher": f"""@import "{BASE_CSS_PATH}";
.masthead {{ background: #7a1f2b; color: #fff; padding: 12px 18px; }}
.masthead a {{ color: #fff; }}
.masthead__logo {{ display: block; height: 60px; padding-left: 330px;
  background: url("{LOGO_PATH}") no-repeat left center / 320px 60px; }}
.article__headline, h1 {{ border-bottom: 4px solid #7a1f2b; }}
""",
    "drupal": f"""@import url({BASE_CSS_PATH});
.site-header {{ background: #2e5e3a; color: #fff; padding: 12px 18px; }}
.site-header a {{ color: #fff; }}
.site-branding__logo {{ display: block; height: 60px; padding-left: 330px;
  background: url("{LOGO_PATH}") no-repeat left center / 320px 60px; }}
.field--name-field-image {{ background: #dfe9df; padding: 8px; }}
""",
}


def placeholder_font() -> bytes:
    """Bytes served as the font: a WOFF2 signature and padding, not a usable font, so the
    browser falls back to the next family the same way live and in replay."""
    return b"wOF2" + hashlib.sha256(b"harbour-sans").digest() * 8


def asset(path: str) -> tuple[bytes, str] | None:
    """(body, content type) of a furniture path, or None."""
    if path == BASE_CSS_PATH:
        return BASE_CSS.encode(), "text/css; charset=utf-8"
    for family, css_path in FAMILY_CSS_PATHS.items():
        if path == css_path:
            return FAMILY_CSS[family].encode(), "text/css; charset=utf-8"
    if path in SCRIPT_PATHS:
        return b"/* harbourside demo: no behaviour */\n", "application/javascript"
    if path == FONT_PATH:
        return placeholder_font(), "font/woff2"
    return None


def srcset_variants(image_path: str) -> dict[int, str]:
    stem = image_path.removesuffix(".png")
    return {width: f"{stem}-{width}.png" for width in SRCSET_WIDTHS}


def srcset(image_url: str) -> str:
    return ", ".join(f"{url} {width}w" for width, url in srcset_variants(image_url).items())

