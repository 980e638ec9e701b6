"""Pieces every app's API uses: scoped viewsets and an exception handler that turns the
errors a service can raise into 4xx answers instead of 500s."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mha_portal.scoping import get_editable_or_404, get_visible_or_404


def validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A service marks a refusal caused by the state of the data (money already released,
        # changed meanwhile) with `http_status = 409`; others are bad input.
        return Response(validation_detail(exc), status=getattr(exc, "http_status", status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, IntegrityError):
        # A database constraint caught what validation missed (often a concurrent write).
        return Response(
            {"non_field_errors": [_("The record conflicts with existing data. Reload and try again.")]},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


class ScopedViewSetMixin:
    """Lists and lookups go through `visible_to`; changes through `editable_by`.

    An object outside the user's scope is a 404; one they can see but not change is a 403.
    """

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            obj = get_visible_or_404(queryset, self.request.user, **lookup)
        else:
            obj = get_editable_or_404(queryset, self.request.user, **lookup)
        self.check_object_permissions(self.request, obj)
        return obj


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
