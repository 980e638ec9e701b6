import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mha_portal.settings")
application = get_wsgi_application()
# Load every view now, then take what is loaded (about 200,000 objects of Django, the libraries
# and the project, never freed) out of the garbage collector's sight: a full collection walked
# them all, about 140 ms, whenever a page made many objects (a national dashboard: 40,000
# completions). Each gunicorn worker imports this module after its fork.
get_resolver().url_patterns  # noqa: B018 - imported for its effect
gc.freeze()
