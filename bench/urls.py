from django.http import HttpResponse
from django.urls import path

from mha_portal.urls import urlpatterns as portal


def hello(request):
    """The floor: what Django and gunicorn cost for a request that does nothing."""
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("bench/hello", hello), *portal]
