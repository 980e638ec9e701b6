import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from mha_portal.wsgi import application  # noqa: E402,F401 - the portal's, loaded as production loads it
