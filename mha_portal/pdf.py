"""PDF rendering with WeasyPrint, for receipts, certificates and reports.

WeasyPrint may fetch only `data:` URLs and the portal's own static files: no network, no other
file (SSRF advisories fixed in WeasyPrint 68). Fonts are the DejaVu family installed on the
machine, which carries the Tajik letters ҳ ҷ қ ғ ӣ ӯ and the rouble sign ₽.
"""

import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

# Reused between renders: parsed images and stylesheets (measured to matter for long reports).
_CACHE: dict = {}
STATIC_PREFIX = "/static/"


class StaticOnlyURLFetcher(URLFetcher):
    def __init__(self):
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        path = posixpath.normpath(unquote(parts.path))
        if parts.scheme != "file" or not path.startswith(STATIC_PREFIX):
            raise ValueError(f"Blocked resource in PDF: {url}")
        found = finders.find(path[len(STATIC_PREFIX):])
        if not found:
            raise ValueError(f"Static file not found for PDF: {path}")
        return super().fetch(Path(found).resolve().as_uri(), headers)


def html_to_pdf(html: str) -> bytes:
    # Root-relative URLs such as /static/css/print.css resolve against file:/// and are
    # mapped by the fetcher to the static file finders.
    document = HTML(string=html, base_url="file:///", url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf(cache=_CACHE)


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    return html_to_pdf(render_to_string(template_name, context, request=request))
