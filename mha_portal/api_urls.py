"""/api/v1/: every app lists its viewsets in `<app>.api.routes`; this file collects them."""

from importlib import import_module

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from privacy.api import obtain_token

API_APPS = ["communities", "households", "associations", "remittances", "projects", "training", "reports"]

router = DefaultRouter()
for app_label in API_APPS:
    for prefix, viewset, basename in import_module(f"{app_label}.api").routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("v1/auth/token/", obtain_token, name="api-token"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
