"""The household export (page and API): scoped, filtered, and logged with its stated purpose."""

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone

from households import spreadsheets
from households.models import Member, MigrationEpisode
from households.selectors import HouseholdFilters, household_list
from privacy.audit import log_access
from privacy.models import AccessEvent

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTED_FIELDS = ["phone", "members.phone", "episodes.legal_status", "address", "names"]


def household_export_response(*, user, filters: HouseholdFilters, fmt: str, purpose: str, path: str) -> HttpResponse:
    episodes = MigrationEpisode.objects.order_by("departure_date", "id")
    households = household_list(user=user, filters=filters).select_related(None).select_related(
        "village__jamoat").prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("id").prefetch_related(
            Prefetch("episodes", queryset=episodes))))
    exported: list[int] = []

    def tracked(rows):
        for household in rows:
            exported.append(household.pk)
            yield household

    rows = spreadsheets.export_rows(tracked(households.iterator(chunk_size=2000)))
    content = spreadsheets.to_csv(rows) if fmt == "csv" else spreadsheets.to_xlsx(rows)
    log_access(user=user, kind=AccessEvent.Kind.EXPORT, record="households.household", object_ids=exported,
               purpose=purpose, path=path, fields=EXPORTED_FIELDS)
    stamp = timezone.localdate().strftime("%Y-%m-%d")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8" if fmt == "csv" else XLSX)
    response["Content-Disposition"] = f'attachment; filename="households-{stamp}.{fmt}"'
    return response
