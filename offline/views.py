"""The offline app: its pages (cached by the service worker), the reference data, and the one
endpoint the outbox sends records to. Views only orchestrate (offline/handlers.py reads each
record and calls the app's service)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from households.models import Household, Member
from households.services import StaleEdit
from mha_portal.api import validation_detail
from mha_portal.idempotency import IdempotencyConflict
from offline import selectors, worker
from offline.handlers import HANDLERS
from remittances.models import CURRENCIES, LedgerEntry
from training.models import Consultation, MigrationTopic

FORMS = {
    "contribution": ("offline/contribution.html", "offline:contribution"),
    "attendance": ("offline/attendance.html", "offline:attendance"),
    "household": ("offline/household.html", "offline:household"),
    "household_edit": ("offline/household_edit.html", "offline:household-edit"),
    "consultation": ("offline/consultation.html", "offline:consultation"),
}


def page_urls(user) -> list[str]:
    """The pages the service worker keeps for this user: the outbox and the user's forms."""
    return [reverse("offline:outbox")] + [reverse(FORMS[kind][1]) for kind in selectors.offline_kinds(user)]


KIND_LABELS = {
    "contribution": gettext_lazy("Contribution"), "attendance": gettext_lazy("Attendance"),
    "household": gettext_lazy("Household registration"), "household_edit": gettext_lazy("Household change"),
    "consultation": gettext_lazy("Consultation"),
}


def outbox_strings() -> dict:
    """What static/js/outbox.js says, in the user's language (the page is cached with them)."""
    strings = {
        "state_waiting": _("Waiting"), "state_sending": _("Sending"), "state_saved": _("Saved on the server"),
        "state_refused": _("Refused by the server"), "made_on": _("made on the phone"),
        "verification": _("Verification code"), "reached": _("Reached the ledger"),
        "device": _("on the phone"), "server": _("on the server"),
        "correct": _("Correct"), "resend": _("Send again"), "discard": _("Discard"),
        "confirm_discard": _("Discard this record? It has not reached the server."),
        "counts": _("%(waiting)s waiting, %(refused)s refused, %(saved)s saved"),
        "reference": _("Lists for the forms fetched"),
        "no_reference": _("No lists on this phone yet: open this page once with a connection."),
        "online": _("Connected"), "offline": _("No connection"),
    }
    for kind, label in KIND_LABELS.items():
        strings[f"kind_{kind}"] = str(label)
    for kind, (_template, url_name) in FORMS.items():
        strings[f"form_{kind}"] = reverse(url_name)
    return strings


def form_strings() -> dict:
    """What static/js/offline-forms.js says."""
    return {
        "saved_on_phone": _("Saved on this phone. It will be sent as soon as there is a connection."),
        "saved_on_server": _("Saved on the server:"), "refused": _("Refused by the server:"),
        "not_saved": _("Could not be saved on this phone (storage full?)."),
        "verification": _("Verification code"), "member": _("Member"), "people": _("%s present"),
        "tick_someone": _("Tick the people who were present."),
        "no_reference": _("No lists on this phone yet: open this page once with a connection."),
    }


@login_required
def outbox(request):
    return render(request, "offline/outbox.html", {
        "kinds": [(kind, KIND_LABELS[kind], reverse(FORMS[kind][1])) for kind in selectors.offline_kinds(request.user)],
        "strings": outbox_strings()})


@login_required
def form_page(request, kind: str):
    """One of the offline forms (its choices come from the phone's reference data)."""
    if kind not in selectors.offline_kinds(request.user):
        raise PermissionDenied
    context = {
        "strings": form_strings(), "title": KIND_LABELS[kind],
        "kind": kind, "currencies": CURRENCIES, "channels": LedgerEntry.Channel.choices,
        "topics": MigrationTopic.choices, "outcomes": Consultation.Outcome.choices,
        "sexes": Member.Sex.choices, "relations": Member.Relation.choices,
        "educations": Member.Education.choices, "statuses": Household.Status.choices,
    }
    return render(request, FORMS[kind][0], context)


@require_GET
@never_cache
def reference(request):
    if not request.user.is_authenticated:
        return JsonResponse({"state": "signed_out"}, status=401)
    return JsonResponse(selectors.reference_for(request.user))


@require_GET
@never_cache
def pages(request):
    """The URLs the service worker warms into its cache when it installs (none when signed out)."""
    if not request.user.is_authenticated:
        return JsonResponse({"pages": []})
    return JsonResponse({"pages": page_urls(request.user)})


def _refused(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"state": "refused", "message": message, **extra}, status=status)


def _messages(error: ValidationError) -> tuple[str, dict]:
    """The refusal as one sentence, and by field when the service named the fields."""
    return " ".join(str(m) for m in error.messages), validation_detail(error) if hasattr(error, "error_dict") else {}


@require_POST
@never_cache
def send(request, kind: str):
    """One outbox record. Its device-made id is the Idempotency-Key: sent again, it answers with
    the same result and writes nothing. 201 saved, 200 saved before; 400/403/409/422 refused
    (the phone keeps the record with the message); 401 signed out (the phone keeps it waiting)."""
    if not request.user.is_authenticated:
        return JsonResponse({"state": "signed_out", "message": _("Sign in again to send your records.")},
                            status=401)
    handler = HANDLERS.get(kind)
    if handler is None:
        raise Http404
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        return _refused(_("The record could not be read."), 400)
    try:
        result = handler(user=request.user, payload=payload, key=request.headers.get("Idempotency-Key"))
    except StaleEdit as stale:
        return _refused(stale.messages[0], 409, differences=[
            {"field": field, "label": str(Household._meta.get_field(field).verbose_name), "device": device,
             "server": server} for field, device, server in stale.differences])
    except IdempotencyConflict as conflict:
        return _refused(conflict.messages[0], 422)
    except PermissionDenied as denied:
        return _refused(str(denied) or _("You may not record this."), 403)
    except ValidationError as error:
        message, errors = _messages(error)
        return _refused(message, 400, errors=errors)
    return JsonResponse({"state": "saved", **result}, status=200 if result.get("replayed") else 201)


@require_GET
def service_worker(request):
    """The service worker, from the site's root so that it controls every page."""
    body = render_to_string("offline/sw.js", {"version": worker.version(), "precache": worker.precache_json()})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request):
    """The web app manifest: installable, opening on the outbox, in the user's language."""
    icons = [{"src": static(f"img/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in (192, 512)]
    body = {
        "name": _("MHA Portal"), "short_name": _("MHA Portal"),
        "description": _("Record contributions, attendance, households and consultations, with or without a "
                         "connection."),
        "start_url": reverse("offline:outbox"), "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#0b5d7a", "icons": icons,
        "lang": get_language(),
    }
    return JsonResponse(body, content_type="application/manifest+json; charset=utf-8",
                        json_dumps_params={"ensure_ascii": False})
