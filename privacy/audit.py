"""Logging reads of sensitive personal data: one access event per page, API answer or export."""

from __future__ import annotations

from collections.abc import Iterable

from privacy.models import AccessEvent

# The personal data the portal treats as sensitive, per model: read access to these is logged.
SENSITIVE_FIELDS = {
    "households.household": ["phone"],
    "households.member": ["phone"],
    "households.migrationepisode": ["legal_status"],
}


def log_access(*, user, kind: str, record: str, object_ids: Iterable[int], purpose: str = "",
               path: str = "", fields: list[str] | None = None, subject_user=None) -> AccessEvent:
    return AccessEvent.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None, kind=kind, record=record,
        object_ids=sorted({int(pk) for pk in object_ids}), purpose=purpose[:2000], path=path[:255],
        fields=fields if fields is not None else SENSITIVE_FIELDS.get(record, []), subject_user=subject_user)


def _ids(data) -> list[int]:
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return []
    return [row["id"] for row in data if isinstance(row, dict) and isinstance(row.get("id"), int)]


class LogSensitiveReadsMixin:
    """For a DRF viewset whose answers carry sensitive fields: every successful read (list,
    detail or extra action) is logged with the ids it returned."""

    sensitive_record = ""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method == "GET" and 200 <= response.status_code < 300 and self.sensitive_record:
            ids = _ids(getattr(response, "data", None))
            if ids:
                log_access(user=request.user, kind=AccessEvent.Kind.API, record=self.sensitive_record,
                           object_ids=ids, path=request.get_full_path())
        return response
