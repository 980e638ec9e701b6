"""PDFs keep Tajik letters and fetch nothing but the portal's own static files."""

import io

import pytest
from pypdf import PdfReader

from mha_portal.pdf import StaticOnlyURLFetcher, html_to_pdf


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_keeps_tajik_letters_and_the_rouble_sign():
    pdf = html_to_pdf('<link rel="stylesheet" href="/static/css/print.css"><p>Раҳимов Ҷамшед қ ғ ӣ ӯ — 5 000 ₽</p>')
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Раҳимов Ҷамшед" in text
    assert "₽" in text


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/x.png", "file:///etc/passwd", "file:///static/../../etc/passwd",
                                 "ftp://example.org/a.png"])
def test_fetcher_refuses_anything_but_static_files(url):
    with pytest.raises(ValueError):
        StaticOnlyURLFetcher().fetch(url)


def test_fetcher_serves_the_portal_stylesheet():
    response = StaticOnlyURLFetcher().fetch("file:///static/css/print.css")
    try:
        assert b"@page" in response.read()
    finally:
        response.close()
