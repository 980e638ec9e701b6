"""The portal's own settings, plus a bare "hello" view to compare every page against."""

import os

from mha_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT)  # noqa: F405
