"""The API's authentication classes (a module of their own: DRF imports them while its own views
are being defined, so they cannot live beside code that imports those views)."""

from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reusing the lookup the idempotency middleware already made for
    the same request (a POST with a key): one query for the token, not two."""

    def authenticate(self, request):
        found = getattr(request._request, "token_authenticated", None)
        return found if found is not None else super().authenticate(request)
