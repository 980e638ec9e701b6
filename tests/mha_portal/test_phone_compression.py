"""Pages and JSON travel compressed; the CSRF token stays masked per response (BREACH)."""

import gzip
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_and_json_are_gzipped_and_csrf_tokens_differ(world, client_for):
    client = client_for(world.staff_a)
    first = client.get(reverse("home"), HTTP_ACCEPT_ENCODING="gzip")
    second = client.get(reverse("home"), HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip"
    html = gzip.decompress(first.content).decode()
    assert "</html>" in html
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', gzip.decompress(r.content).decode())
              .group(1) for r in (first, second)]
    assert tokens[0] != tokens[1]  # masked afresh on every response
    api = client_for(world.officer).get("/api/v1/jamoats/", HTTP_ACCEPT_ENCODING="gzip")
    assert api.status_code == 200 and api["Content-Encoding"] == "gzip"
    assert b"Askalon" in gzip.decompress(api.content)
