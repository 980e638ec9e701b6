"""One person (or household) picker for every form that chooses one: payer, attendee, consultation
client, enterprise member.

- Search is server-side with the household search's Latin ↔ Cyrillic key ("Hasanov", "Ҳасанов"
  and "Хасанов" find the same person), through the user's scope.
- Results follow the Tajik alphabet (а б в г ғ д е ё ж з и ӣ й к қ л м н о п р с т у ӯ ф х ҳ ч ҷ ш ъ э
  ю я), which neither PostgreSQL's collation nor Python's code-point order gives.
- Without JavaScript the form shows a "Find a person" link to a plain search page that sends the
  choice back as `?<field>=<id>`; with JavaScript (static/js/picker.js) the same search answers
  JSON inside the form as an ARIA combobox.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from households.models import Household, Member
from households.selectors import search_condition
from households.translit import fold
from mha_portal.scoping import scope_for

TAJIK_ALPHABET = "абвгғдеёжзиӣйкқлмнопрстуӯфхҳчҷшъэюя"
# Russian letters Tajik does not use sort beside their nearest Tajik letter.
_EXTRA = {"щ": "ш", "ы": "и", "ь": "ъ"}
_RANK = {letter: index for index, letter in enumerate(TAJIK_ALPHABET)}
PAGE_SIZE = 20
KINDS = ("member", "household")


def tajik_key(text: str) -> tuple:
    """Sort key in Tajik alphabetical order; other characters after the alphabet, by code point."""
    key = []
    for char in text.lower():
        char = _EXTRA.get(char, char)
        rank = _RANK.get(char)
        key.append((0, rank, "") if rank is not None else (1, 0, char))
    return tuple(key)


def _member_key(member: Member) -> tuple:
    return (tajik_key(member.last_name), tajik_key(member.first_name), tajik_key(member.patronymic), member.pk)


def _household_key(household: Household) -> tuple:
    head = household.head
    if head is None:
        return ((2,), tajik_key(household.code), household.pk)
    return (tajik_key(head.last_name), tajik_key(head.first_name), tajik_key(household.code), household.pk)


@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    detail: str


def _households(*, user, query: str, jamoat_id: int | None, association_id: int | None = None):
    households = Household.objects.visible_to(user)
    if jamoat_id:
        households = households.filter(village__jamoat_id=jamoat_id)
    if association_id:
        # Payers: the association's current member households only.
        households = households.filter(pk__in=Household.objects.filter(
            memberships__association_id=association_id, memberships__left__isnull=True).values("pk"))
    if query.strip():
        # The code as typed as well: households written without the search key still answer to it.
        households = households.filter(search_condition(query) | Q(code__icontains=query.strip()))
    return households


def _words(query: str) -> list[str]:
    return [word for word in (fold(part) for part in query.split()) if word]


def people_search(*, user, query: str = "", jamoat_id: int | None = None, kind: str = "member",
                  association_id: int | None = None, page: int = 1) -> tuple[list[Choice], bool]:
    """One page of people (or households) the user may see, in Tajik alphabetical order.

    Returns (choices, has_more). The household search key narrows the households in the database;
    each person's own name is then matched with the same key, so a search for one member does not
    list the whole household.
    """
    households = _households(user=user, query=query, jamoat_id=jamoat_id, association_id=association_id)
    words = _words(query)
    if kind == "household":
        rows = list(households.select_related("head", "village"))
        rows.sort(key=_household_key)
        choices = [Choice(h.pk, h.head.full_name if h.head else h.code, f"{h.code} · {h.village}") for h in rows]
    else:
        members = (Member.objects.filter(household__in=households.values("pk"))
                   .select_related("household__village").only(
                       "pk", "last_name", "first_name", "patronymic", "birth_year",
                       "household__code", "household__village__name"))
        rows = [m for m in members
                if all(word in fold(f"{m.full_name} {m.household.code}") for word in words)]
        rows.sort(key=_member_key)
        choices = [Choice(m.pk, m.full_name, f"{m.household.code} · {m.household.village.name} · {m.birth_year}")
                   for m in rows]
    start = (max(page, 1) - 1) * PAGE_SIZE
    return choices[start:start + PAGE_SIZE], len(choices) > start + PAGE_SIZE


def default_jamoat(user) -> int | None:
    """The jamoat to search first: the user's own (staff), else their association's."""
    scope = scope_for(user)
    if scope.jamoat_ids:
        return min(scope.jamoat_ids)
    if scope.association_ids:
        from django.apps import apps

        association = apps.get_model("associations", "Association").objects.filter(
            pk__in=scope.association_ids).order_by("pk").first()
        return association.jamoat_id if association else None
    return None


def picker_initial(request, *fields: str) -> dict:
    """Initial values sent back by the no-JavaScript picker page (`?payer=12`)."""
    initial = {}
    for name in fields:
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    return initial


# The form widget -------------------------------------------------------------------------------

class PersonPicker(forms.Select):
    """A select holding only the chosen option, a search box (JS) and a search link (no JS).

    The field keeps its full, scoped queryset for validation; only the page stops carrying
    hundreds of names.
    """

    template_name = "households/picker_widget.html"

    def __init__(self, *, kind: str = "member", jamoat_id: int | None = None, association_id: int | None = None,
                 attrs=None):
        super().__init__(attrs)
        self.kind = kind
        self.jamoat_id = jamoat_id
        self.association_id = association_id

    def optgroups(self, name, value, attrs=None):
        chosen = [v for v in value if str(v).isdigit()]
        queryset = getattr(self.choices, "queryset", None)
        options = [self.create_option(name, "", "—", not chosen, 0)]
        if chosen and queryset is not None:
            field = self.choices.field
            for index, obj in enumerate(queryset.filter(pk__in=chosen), start=1):
                options.append(self.create_option(name, obj.pk, field.label_from_instance(obj), True, index))
        return [(None, options, 0)]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["kind"] = self.kind
        context["widget"]["search_url"] = reverse("person-picker")
        context["widget"]["field_name"] = name
        context["widget"]["jamoat_id"] = self.jamoat_id or ""
        context["widget"]["association_id"] = self.association_id or ""
        return context


# The page and its JSON -------------------------------------------------------------------------

def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _without(query: str, name: str) -> str:
    return urlencode([(key, value) for key, value in parse_qsl(query) if key != name])


@login_required
def pick(request):
    """GET ?q=&kind=&jamoat=&page=; JSON when asked (`format=json`), else a plain search page."""
    scope = scope_for(request.user)
    if scope.is_empty:
        raise PermissionDenied
    kind = request.GET.get("kind", "member")
    kind = kind if kind in KINDS else "member"
    query = request.GET.get("q", "").strip()[:100]
    jamoat_id = _int(request.GET.get("jamoat")) if "jamoat" in request.GET else default_jamoat(request.user)
    page = _int(request.GET.get("page")) or 1
    association_id = _int(request.GET.get("association"))
    choices, has_more = people_search(user=request.user, query=query, jamoat_id=jamoat_id, kind=kind,
                                      association_id=association_id, page=page)
    if request.GET.get("format") == "json":
        return JsonResponse({"results": [c.__dict__ for c in choices], "has_more": has_more, "page": page})
    field = request.GET.get("field", "") if request.GET.get("field", "").isidentifier() else ""
    # The widget cannot know the form's address: without `next`, go back where the user came from.
    back = request.GET.get("next", "")
    if not back and "q" not in request.GET:
        referer = urlsplit(request.META.get("HTTP_REFERER", ""))
        if referer.netloc == request.get_host():
            back = urlunsplit(("", "", referer.path, _without(referer.query, field), ""))
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = ""
    from django.apps import apps

    jamoats = apps.get_model("communities", "Jamoat").objects.visible_to(request.user).order_by("name")
    separator = "&" if "?" in back else "?"
    links = [(c, f"{back}{separator}{urlencode({field: c.id})}" if back and field else "") for c in choices]
    base = {"q": query, "kind": kind, "jamoat": jamoat_id or "", "field": field, "next": back,
            "association": association_id or ""}
    return render(request, "households/picker.html", {
        "links": links, "query": query, "association_id": association_id or "",
        "kind": kind, "jamoat_id": jamoat_id, "jamoats": jamoats,
        "field": field, "next": back, "page": page, "has_more": has_more,
        "more_url": "?" + urlencode({**base, "page": page + 1}),
        "less_url": "?" + urlencode({**base, "page": page - 1}) if page > 1 else "",
        "title": _("Find a household") if kind == "household" else _("Find a person"),
    })
