"""/api/v1/reports/ (report jobs) and /api/v1/indicators/ (targets, actuals and status for a
period and scope). Both go through the same services and selectors as the pages."""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mha_portal.inputs import parse_id
from mha_portal.scoping import get_visible_or_404, scope_for
from reports import services
from reports.models import ReportJob
from reports.selectors import current_programme, programme_progress, report_jobs_for


class ReportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    annex_url = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    # Plain strings in the schema: the values are documented in the description, and the other
    # apps' "kind"/"status" enums do not collide with these.
    kind = serializers.CharField(read_only=True, help_text="programme_progress, jamoat or mha_statement")
    status = serializers.CharField(read_only=True, help_text="queued, running, done or failed")

    class Meta:
        model = ReportJob
        fields = ["id", "kind", "params", "jamoat", "association", "status", "status_label", "progress", "error",
                  "attempts", "created_at", "started_at", "finished_at", "expires_at", "download_url", "annex_url",
                  "digest", "first_edition"]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if job.status != ReportJob.Status.DONE:
            return None
        return reverse("reports:job-download", args=[job.pk])

    def get_annex_url(self, job) -> str | None:
        if job.status != ReportJob.Status.DONE or not job.annex:
            return None
        return reverse("reports:job-annex", args=[job.pk])


class ReportRequestSerializer(serializers.Serializer):
    """Shape only; the rules (period, kind, scope) live in `services.report_job_request`."""

    kind = serializers.CharField(help_text="programme_progress, jamoat or mha_statement")
    start = serializers.DateField()
    end = serializers.DateField()
    jamoat = serializers.IntegerField(required=False)
    association = serializers.IntegerField(required=False)
    language = serializers.CharField(default="en", help_text="en, ru or tg")
    narrative = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                      help_text="The officer's narrative, printed in the report's summary.")


class ReportJobViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Jobs the user may see (their jamoat's, their MHA's; officers: all). Others are 404."""

    serializer_class = ReportJobSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        return report_jobs_for(self.request.user)

    @extend_schema(request=ReportRequestSerializer, responses={201: ReportJobSerializer})
    def create(self, request, *args, **kwargs):
        shape = ReportRequestSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        job = services.report_job_request(user=request.user, data=shape.validated_data)
        return Response(ReportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: ReportJobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        job = self.get_object()
        job = services.report_job_retry(job=job, user=request.user)
        return Response(ReportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if job.status != ReportJob.Status.DONE:
            raise Http404
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1],
                            content_type="application/pdf")

    def get_object(self):
        # Retrying is a read-scope action: whoever may see the job may ask for it again.
        return get_visible_or_404(self.get_queryset(), self.request.user, pk=self.kwargs["pk"])


class ProgressRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    target_low = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    target_high = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    period_actual = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    actual = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    percent = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField()
    has_data_source = serializers.BooleanField()
    by_jamoat = serializers.ListField(child=serializers.DictField())
    by_region = serializers.ListField(child=serializers.DictField())
    by_sex = serializers.DictField(child=serializers.CharField())


def _row_data(row) -> dict:
    progress = row.progress
    return {
        "code": row.code, "name": str(row.indicator), "unit": row.indicator.unit,
        "target_low": progress.target.low if progress.target else None,
        "target_high": progress.target.high if progress.target else None,
        "period_actual": progress.period_actual, "actual": progress.actual, "percent": progress.percent,
        "status": progress.status, "status_label": progress.status_label, "has_data_source": row.has_source,
        "by_jamoat": [{"jamoat": jr.jamoat.pk, "name": str(jr.jamoat), "actual": str(jr.progress.actual),
                       "target": str(jr.progress.target) if jr.progress.target else None,
                       "status": jr.progress.status, "status_label": jr.progress.status_label}
                      for jr in row.jamoats],
        "by_sex": {sex: str(value) for sex, value in (row.by_sex or {}).items()},
        "by_region": [{"region": region, "actual": str(value)} for region, value in row.by_region],
    }


def parse_period(params, programme) -> tuple[date, date, list[int] | None]:
    """Period and jamoat from query parameters; defaults to the programme to date."""
    errors = {}
    try:
        start = date.fromisoformat(params["start"]) if params.get("start") else programme.start_date
    except ValueError:
        errors["start"] = _("Enter a valid date (YYYY-MM-DD).")
    try:
        end = date.fromisoformat(params["end"]) if params.get("end") else date.today()
    except ValueError:
        errors["end"] = _("Enter a valid date (YYYY-MM-DD).")
    jamoat_ids = None
    if params.get("jamoat"):
        if parse_id(params["jamoat"]) is None:
            errors["jamoat"] = _("Choose a jamoat you work with.")
        else:
            jamoat_ids = [parse_id(params["jamoat"])]
    if not errors and end < start:
        errors["end"] = _("The end of the period cannot be before its start.")
    if errors:
        raise ValidationError(errors)
    return start, end, jamoat_ids


class IndicatorProgressViewSet(viewsets.ViewSet):
    """Every indicator with target, actual in the period and to date, percent and status."""

    @extend_schema(parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str),
                               OpenApiParameter("jamoat", int)], responses=ProgressRowSerializer(many=True))
    def list(self, request):
        programme = current_programme(request.user)
        if programme is None or scope_for(request.user).is_empty:
            return Response([])
        start, end, jamoat_ids = parse_period(request.query_params, programme)
        progress = programme_progress(user=request.user, programme=programme, start=start, end=end,
                                      jamoat_ids=jamoat_ids)
        if jamoat_ids and not progress.jamoats:
            raise Http404
        return Response(ProgressRowSerializer([_row_data(row) for row in progress.rows], many=True).data)


routes = [
    ("reports", ReportJobViewSet, "report"),
    ("indicators", IndicatorProgressViewSet, "indicator-progress"),
]
