"""What the service worker precaches, and its version.

The version is a digest of every precached file (and of the worker's own template), so any change
to them installs a new worker with new cache names; `OFFLINE_APP_VERSION` is added to it (a
deployment may force a new worker; the upgrade test does). The outbox itself lives in IndexedDB,
which no worker upgrade touches.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.templatetags.static import static

PRECACHED = [
    "css/portal.css", "css/offline.css", "js/portal.js", "js/picker.js", "js/offline-store.js", "js/outbox.js",
    "js/offline-forms.js", "img/favicon.svg", "img/icon-192.png", "img/icon-512.png",
]


@lru_cache(maxsize=1)
def _files() -> tuple[tuple[str, str], ...]:
    files = []
    for name in PRECACHED:
        path = finders.find(name)
        with open(path, "rb") as handle:
            files.append((static(name), hashlib.sha256(handle.read()).hexdigest()[:16]))
    return tuple(files)


@lru_cache(maxsize=1)
def _template_digest() -> str:
    with open(get_template("offline/sw.js").origin.name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def version() -> str:
    digest = hashlib.sha256(_template_digest().encode())
    for url, revision in _files():
        digest.update(f"{url} {revision}\n".encode())
    digest.update(str(getattr(settings, "OFFLINE_APP_VERSION", "")).encode())
    return digest.hexdigest()[:12]


def precache_json() -> str:
    return json.dumps([{"url": url, "revision": revision} for url, revision in _files()])
