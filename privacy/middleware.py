"""Sends a signed-in user who owes a second factor to give it (or to set one up) before anything
else: pages, the Django admin and the session-authenticated API alike. Token-authenticated API
calls are covered where tokens are issued (privacy/api.py)."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from privacy import mfa

OPEN_PREFIXES = ("/static/", "/i18n/", "/jsi18n/", "/healthz", "/favicon")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or self._open(request.path):
            return self.get_response(request)
        if mfa.session_verified(request):
            return self.get_response(request)
        has_totp = mfa.has_totp(user)
        if not has_totp and not mfa.requires_second_factor(user):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("A second factor is required: sign in on the portal first.")},
                                status=403)
        target = "second-factor-verify" if has_totp else "second-factor-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _open(path: str) -> bool:
        if path.startswith(OPEN_PREFIXES):
            return True
        return path in (reverse("second-factor-verify"), reverse("second-factor-setup"), reverse("logout"))
