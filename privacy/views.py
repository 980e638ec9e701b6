"""Second factor pages (verify, set up, recovery codes), its reset by an administrator, and the
access log of personal data."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mha_portal.scoping import OFFICER_GROUP
from privacy import mfa
from privacy.forms import AccessLogFilterForm, CodeForm, ResetForm, SetupForm
from privacy.models import AccessEvent

MAX_FAILURES = 5
FAILURES_KEY = "privacy.second_factor_failures"
SETUP_SECRET_KEY = "privacy.totp_setup_secret"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("home")


def _failed(request, form) -> object | None:
    """Count a wrong code like a wrong password (django-axes sees it); after five, sign out."""
    user_login_failed.send(sender=__name__, credentials={"username": request.user.get_username()},
                           request=request)
    failures = request.session.get(FAILURES_KEY, 0) + 1
    request.session[FAILURES_KEY] = failures
    if failures >= MAX_FAILURES:
        logout(request)
        messages.error(request, _("Too many wrong codes: sign in again."))
        return redirect("login")
    form.add_error("code", _("This code is not valid (or was already used)."))
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request):
    if not mfa.has_totp(request.user):
        return redirect(f"{reverse('second-factor-setup')}?{urlencode({'next': _next_url(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.second_factor_check(user=request.user, code=form.cleaned_data["code"]):
            target = _next_url(request)
            mfa.mark_session_verified(request)
            request.session.pop(FAILURES_KEY, None)
            if mfa.recovery_codes_left(request.user) <= 2:
                messages.warning(request, _("Few recovery codes left: make new ones on the second factor page."))
            return redirect(target)
        response = _failed(request, form)
        if response is not None:
            return response
    return render(request, "privacy/second_factor_verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """Shows the secret (QR code and text), takes a first code, then shows the recovery codes once.
    With a second factor already on, this is its status page (verified sessions only)."""
    if mfa.has_totp(request.user):
        if not mfa.session_verified(request):
            return redirect(f"{reverse('second-factor-verify')}?{urlencode({'next': reverse('second-factor-setup')})}")
        return render(request, "privacy/second_factor_status.html", {
            "codes_left": mfa.recovery_codes_left(request.user)})
    secret = request.session.get(SETUP_SECRET_KEY) or mfa.new_totp_secret()
    request.session[SETUP_SECRET_KEY] = secret
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.totp_activate(user=request.user, secret=secret, code=form.cleaned_data["code"])
        if codes is not None:
            request.session.pop(SETUP_SECRET_KEY, None)
            mfa.mark_session_verified(request)
            return render(request, "privacy/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", _("This code does not match: check the time on your phone and try again."))
    url = mfa.totp_url(request.user, secret)
    return render(request, "privacy/second_factor_setup.html", {
        "form": form, "secret": secret, "qr_svg_data": _svg_data_uri(mfa.totp_svg(url)),
        "required": mfa.requires_second_factor(request.user), "next": _next_url(request)})


def _svg_data_uri(svg: str) -> str:
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@never_cache
@login_required
@require_POST
def recovery_codes_new(request):
    if not (mfa.has_totp(request.user) and mfa.session_verified(request)):
        raise PermissionDenied
    codes = mfa.recovery_codes_generate(user=request.user)
    return render(request, "privacy/recovery_codes.html", {"codes": codes, "next": reverse("second-factor-setup")})


# ---------------------------------------------------------------- administrators

def _admin_only(request) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied


@login_required
def second_factor_users(request):
    """Who must have a second factor, and who has one; reset for a lost device."""
    _admin_only(request)
    users = (get_user_model().objects.filter(
        Q(is_superuser=True) | Q(is_staff=True) | Q(groups__in=Group.objects.filter(name=OFFICER_GROUP)))
        .filter(is_active=True).distinct().order_by("username"))
    from allauth.mfa.models import Authenticator

    with_totp = set(Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user_id", flat=True))
    rows = [{"user": user, "has_totp": user.pk in with_totp} for user in users]
    return render(request, "privacy/second_factor_users.html", {"rows": rows, "form": ResetForm()})


@login_required
@require_POST
def second_factor_reset(request, user_id: int):
    _admin_only(request)
    target = get_object_or_404(get_user_model(), pk=user_id)
    form = ResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the reset."))
        return redirect("privacy:second-factor-users")
    mfa.second_factor_reset(admin=request.user, user=target, reason=form.cleaned_data["reason"])
    messages.success(request, _("Second factor of %(user)s removed: they set up a new one at their next sign-in.")
                     % {"user": target.get_username()})
    return redirect("privacy:second-factor-users")


@login_required
def access_log(request):
    """Every read of sensitive personal data, export and second-factor reset."""
    _admin_only(request)
    form = AccessLogFilterForm(request.GET or None)
    events = AccessEvent.objects.select_related("user", "subject_user")
    if form.is_valid():
        if form.cleaned_data["kind"]:
            events = events.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["user"]:
            events = events.filter(user__username=form.cleaned_data["user"])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "privacy/access_log.html", {"form": form, "page": page, "query": query.urlencode()})
