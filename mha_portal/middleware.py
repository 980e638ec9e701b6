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
