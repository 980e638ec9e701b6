from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """PostgreSQL refuses NUL characters in text; answer 400 up front instead of a 500 later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            return HttpResponseBadRequest(_("The request contains a NUL character, which is not allowed."))
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query.lower() or "\x00" in query:
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            return False  # uploaded files may be binary; their text fields are checked by forms
        body = request.body
        return b"\x00" in body or b"%00" in body or b"\\u0000" in body


def is_database_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (or "busy") after its timeout: a transient overload."""
    from django.db import OperationalError

    text = str(exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)


class DatabaseBusyMiddleware:
    """A write that waited its whole timeout for the database is told to retry (503), not a 500.

    With WAL, IMMEDIATE transactions and a 20 s timeout this should not happen with a centre's few
    users; if it still does, the user gets a clear "try again" and nothing was written (the
    transaction rolled back)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not is_database_busy(exc):
            return None
        message = _("The database is busy. Nothing was saved; please try again in a few seconds.")
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            response = JsonResponse({"detail": str(message)}, status=503)
        else:
            from django.http import HttpResponse

            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response


class BadInputMiddleware:
    """A page given a value no form parsed (a 20-digit id the database cannot hold): 400, not 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        from django.db import DataError

        if not isinstance(exc, (DataError, OverflowError, RecursionError)):
            return None
        import logging

        logging.getLogger(__name__).warning("Bad input answered with 400", exc_info=exc)
        return HttpResponseBadRequest(_("The request could not be understood: check its values."))
