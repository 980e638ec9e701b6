"""/api/v1/projects/, /funding-windows/, /enterprises/, /grants/.

Input serializers only parse; every change goes through projects.services, so a transition
refused on a page is refused here with the same message (400), out of scope is 404, and a role
that may see but not act gets 403.
"""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from associations.models import Association
from communities.models import Village
from households.models import Household
from mha_portal import idempotency
from mha_portal.api import ScopedModelViewSet
from mha_portal.scoping import get_visible_or_404
from projects import cofunding, ledger, services
from projects.forms import MAX_COUNT
from projects.models import (
    BUDGET_CURRENCIES,
    Attachment,
    Category,
    CoFunder,
    Enterprise,
    FundingWindow,
    Grant,
    Milestone,
    PerformanceReport,
    Project,
)
from projects.uploads import file_response

MONEY = {"max_digits": 14, "decimal_places": 2}


# ---------------------------------------------------------------- output

class CoFunderSerializer(serializers.ModelSerializer):
    class Meta:
        model = CoFunder
        fields = ["code", "name", "currency", "ratio", "cap_per_project", "budget", "committed", "position"]
        read_only_fields = fields


class FundingWindowSerializer(serializers.ModelSerializer):
    remaining_eur = serializers.DecimalField(read_only=True, **MONEY)
    cofunders = CoFunderSerializer(many=True, read_only=True)
    eligible_categories = serializers.ListField(child=serializers.ChoiceField(choices=Category.choices),
                                                allow_empty=False)

    class Meta:
        model = FundingWindow
        fields = ["id", "programme", "name", "code", "match_ratio", "cap_per_project_eur", "total_budget_eur",
                  "committed_eur", "remaining_eur", "eligible_categories", "min_beneficiary_households",
                  "opens_on", "closes_on", "cofunders"]
        read_only_fields = ["committed_eur", "cofunders"]


class FundingSerializer(serializers.Serializer):
    budget = serializers.DecimalField(**MONEY)
    community = serializers.DecimalField(**MONEY)
    community_pledged = serializers.DecimalField(**MONEY)
    eu_match = serializers.DecimalField(**MONEY)
    eu_match_committed = serializers.BooleanField()
    eu_released = serializers.DecimalField(**MONEY)
    other = serializers.DecimalField(**MONEY)
    gap = serializers.DecimalField(**MONEY)


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "planned_date", "actual_date", "progress_percent"]


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "original_name", "content_type", "size", "caption", "uploaded_at", "url"]

    def get_url(self, attachment) -> str:
        return reverse("projects:attachment", args=[attachment.project_id, attachment.pk])


class ProjectSerializer(serializers.ModelSerializer):
    budget = serializers.DecimalField(source="budget.amount", read_only=True, **MONEY)
    currency = serializers.CharField(source="budget.currency.code", read_only=True)
    community_share = serializers.DecimalField(source="community_share.amount", read_only=True, **MONEY)
    other_funds = serializers.DecimalField(source="other_funds.amount", read_only=True, **MONEY)
    funding = FundingSerializer(read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    cofunder_matches = serializers.SerializerMethodField(
        help_text="Detail only: each co-funder's current match and released money, in its currency.")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_cofunder_matches(self, project):
        view = self.context.get("view")
        if view is None or getattr(view, "action", None) != "retrieve":
            return None  # lists stay one query per page
        return [{"cofunder": row.cofunder.code, "name": row.cofunder.name, "currency": row.cofunder.currency,
                 "ratio": str(row.cofunder.ratio), "match": str(row.match), "released": str(row.released)}
                for row in cofunding.project_matches(project)]

    class Meta:
        model = Project
        fields = ["id", "jamoat", "association", "window", "village", "title", "category", "description", "budget",
                  "currency", "community_share", "other_funds", "eur_rate", "eur_rate_date", "beneficiary_households",
                  "beneficiary_people", "start_date", "end_date", "status", "eu_match_eur", "decided_by",
                  "decided_on", "decision_reason", "completed_on", "households_reached", "people_reached", "fund",
                  "funding", "milestones", "attachments", "cofunder_matches"]
        read_only_fields = fields


# ---------------------------------------------------------------- input

class ProjectInputSerializer(serializers.Serializer):
    association = serializers.IntegerField(min_value=1, max_value=2**62)
    window = serializers.IntegerField(min_value=1, max_value=2**62)
    village = serializers.IntegerField(min_value=1, max_value=2**62)
    title = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    currency = serializers.ChoiceField(choices=BUDGET_CURRENCIES, default="TJS")
    budget = serializers.DecimalField(**MONEY)
    community_share = serializers.DecimalField(**MONEY)
    other_funds = serializers.DecimalField(required=False, default=0, **MONEY)
    beneficiary_households = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    beneficiary_people = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CompleteSerializer(serializers.Serializer):
    completed_on = serializers.DateField()
    households_reached = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    people_reached = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)


class ReleaseSerializer(serializers.Serializer):
    amount_eur = serializers.DecimalField(**MONEY, help_text="In the co-funder's currency (EUR for the lead).")
    date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=400)
    cofunder = serializers.SlugField(required=False, allow_blank=True, default="",
                                     help_text="The co-funder's code; the window's lead co-funder when empty.")


class MilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    planned_date = serializers.DateField()
    actual_date = serializers.DateField(required=False, allow_null=True, default=None)
    progress_percent = serializers.IntegerField(default=0, min_value=-MAX_COUNT, max_value=MAX_COUNT)


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=Attachment.Kind.choices, default=Attachment.Kind.PHOTO)
    caption = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


def _visible(model, user, pk, field):
    """A related object the user may see, or a 400 naming the field (never a leak of what exists)."""
    try:
        return get_visible_or_404(model, user, pk=pk)
    except Http404:
        raise serializers.ValidationError({field: [_("Choose one from your scope.")]}) from None


# ---------------------------------------------------------------- viewsets

class FundingWindowViewSet(ScopedModelViewSet):
    """Programme officers set the EU matching rules; everyone with a role reads them."""

    queryset = FundingWindow.objects.prefetch_related("cofunders")
    serializer_class = FundingWindowSerializer
    search_fields = ["name", "programme__name", "code"]

    def perform_create(self, serializer):
        serializer.instance = services.funding_window_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.funding_window_update(user=self.request.user, window=serializer.instance,
                                                             **serializer.validated_data)


TRANSITION_INPUT = {"complete": CompleteSerializer}


class ProjectViewSet(ScopedModelViewSet):
    queryset = Project.objects.select_related("window", "jamoat").prefetch_related("milestones", "attachments")
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return ledger.with_fund_totals(super().get_queryset())
    filterset_fields = ["jamoat", "association", "window", "status", "category"]
    search_fields = ["title", "village__name", "description"]
    ordering_fields = ["created_at", "title", "status"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _input(self, partial=False):
        data = ProjectInputSerializer(data=self.request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(request=ProjectInputSerializer, responses={201: ProjectSerializer})
    def create(self, request, *args, **kwargs):
        values = self._input()
        user = request.user
        currency = values["currency"]
        project = services.project_propose(user=user, data=services.ProjectInput(
            association=_visible(Association, user, values["association"], "association"),
            window=_visible(FundingWindow, user, values["window"], "window"),
            village=_visible(Village, user, values["village"], "village"),
            title=values["title"], category=values["category"], description=values["description"],
            budget=Money(values["budget"], currency), community_share=Money(values["community_share"], currency),
            other_funds=Money(values["other_funds"], currency),
            beneficiary_households=values["beneficiary_households"], beneficiary_people=values["beneficiary_people"],
            start_date=values["start_date"], end_date=values["end_date"]))
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectInputSerializer, responses={200: ProjectSerializer})
    def update(self, request, *args, **kwargs):
        project = self.get_object()
        values = self._input(partial=True)
        currency = values.pop("currency", str(project.budget.currency))
        fields = {k: v for k, v in values.items() if k in services.EDITABLE_FIELDS}
        for name in ("budget", "community_share", "other_funds"):
            if name in fields:
                fields[name] = Money(fields[name], currency)
        if "village" in fields:
            fields["village"] = _visible(Village, request.user, fields["village"], "village")
        project = services.project_update(user=request.user, project=project, **fields)
        return Response(ProjectSerializer(project).data)

    def _transition(self, request, name):
        project = self.get_object()
        values = {}
        if name != "start":
            serializer = TRANSITION_INPUT.get(name, ReasonSerializer)(data=request.data)
            serializer.is_valid(raise_exception=True)
            values = dict(serializer.validated_data)
        project = services.TRANSITION_SERVICES[name](user=request.user, project=project, **values)
        return Response(ProjectSerializer(Project.objects.get(pk=project.pk)).data)

    @extend_schema(request=ReasonSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def appraise(self, request, pk=None):
        return self._transition(request, "appraise")

    @extend_schema(request=ReasonSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, "approve")

    @extend_schema(request=ReasonSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, "reject")

    @extend_schema(request=None, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(request, "start")

    @extend_schema(request=CompleteSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._transition(request, "complete")

    @extend_schema(request=ReasonSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(request, "cancel")

    @extend_schema(request=ReleaseSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Request a release of committed EU match (posted when a second person approves it)."""
        project = self.get_object()
        serializer = ReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        posting = services.match_release_request(
            user=request.user, project=project, amount_eur=values["amount_eur"], on=values["date"],
            note=values["note"], idempotency_key=idempotency.key_from_request(request),
            cofunder=cofunding.cofunder_for(project, values["cofunder"] or None))
        return Response({"request": posting.pk, "status": posting.status}, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def clawback(self, request, pk=None):
        """Request a clawback of released EU match back to the window (posted when a second person
        approves the posting request)."""
        project = self.get_object()
        serializer = ReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        posting = services.match_clawback_request(
            user=request.user, project=project, amount_eur=values["amount_eur"], on=values["date"],
            note=values["note"], idempotency_key=idempotency.key_from_request(request),
            cofunder=cofunding.cofunder_for(project, values["cofunder"] or None))
        return Response({"request": posting.pk, "status": posting.status}, status=status.HTTP_201_CREATED)

    @extend_schema(request=MilestoneInputSerializer, responses={201: MilestoneSerializer})
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        project = self.get_object()
        serializer = MilestoneInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = services.milestone_save(user=request.user, project=project, **serializer.validated_data)
        return Response(MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": AttachmentInputSerializer}, responses={201: AttachmentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        project = self.get_object()
        serializer = AttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        attachment = services.attachment_add(user=request.user, project=project, upload=values["file"],
                                             kind=values["kind"], caption=values["caption"])
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_pk>[0-9]+)")
    def attachment_file(self, request, pk=None, attachment_pk=None):
        """The uploaded file itself, to users who may see the project (404 otherwise)."""
        project = self.get_object()
        attachment = project.attachments.filter(pk=attachment_pk).first()
        if attachment is None:
            raise Http404
        return file_response(attachment)


class EnterpriseMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    household = serializers.IntegerField(source="household_id", min_value=1, max_value=2**62)
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True,
                                             default=None)
    joined_on = serializers.DateField()


class PerformanceReportSerializer(serializers.ModelSerializer):
    revenue = serializers.DecimalField(source="revenue.amount", **MONEY)
    costs = serializers.DecimalField(source="costs.amount", **MONEY)
    members_earnings = serializers.DecimalField(source="members_earnings.amount", **MONEY)
    profit = serializers.DecimalField(source="profit.amount", read_only=True, **MONEY)

    class Meta:
        model = PerformanceReport
        fields = ["id", "period_start", "period_end", "revenue", "costs", "profit", "jobs_created",
                  "members_earnings"]


class EnterpriseSerializer(serializers.ModelSerializer):
    members = EnterpriseMemberSerializer(many=True, read_only=True)
    reports = PerformanceReportSerializer(many=True, read_only=True)
    capital_invested_eur = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = ["id", "kind", "name", "jamoat", "association", "sector", "founded", "description", "status", "fund",
                  "capital_invested_eur", "members", "reports"]
        read_only_fields = ["jamoat", "fund"]

    def get_capital_invested_eur(self, enterprise) -> str:
        from projects.selectors import enterprise_capital_eur

        return str(enterprise_capital_eur(enterprise=enterprise))


class EnterpriseViewSet(ScopedModelViewSet):
    queryset = Enterprise.objects.select_related("jamoat").prefetch_related("members", "reports")
    serializer_class = EnterpriseSerializer

    def get_queryset(self):
        return ledger.with_capital(super().get_queryset())
    filterset_fields = ["jamoat", "kind", "sector", "status"]
    search_fields = ["name"]

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        association = values.pop("association")
        if not get_visible_or_404_safe(association, self.request.user):
            raise serializers.ValidationError({"association": [_("Choose one from your scope.")]})
        serializer.instance = services.enterprise_create(user=self.request.user, association=association, **values)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        values.pop("association", None)
        serializer.instance = services.enterprise_update(user=self.request.user, enterprise=serializer.instance,
                                                         **values)

    @extend_schema(request=EnterpriseMemberSerializer, responses={201: EnterpriseMemberSerializer})
    @action(detail=True, methods=["post"], url_path="members")
    def add_member(self, request, pk=None):
        enterprise = self.get_object()
        serializer = EnterpriseMemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        household = _visible(Household, request.user, values["household_id"], "household")
        member = services.enterprise_member_add(user=request.user, enterprise=enterprise, household=household,
                                                joined_on=values["joined_on"],
                                                share_percent=values.get("share_percent"))
        return Response(EnterpriseMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PerformanceReportSerializer, responses={201: PerformanceReportSerializer})
    @action(detail=True, methods=["post"], url_path="reports")
    def add_report(self, request, pk=None):
        enterprise = self.get_object()
        serializer = PerformanceReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        report = services.performance_report_add(
            user=request.user, enterprise=enterprise, period_start=values["period_start"],
            period_end=values["period_end"], revenue=Money(values["revenue"]["amount"], "TJS"),
            costs=Money(values["costs"]["amount"], "TJS"), jobs_created=values["jobs_created"],
            members_earnings=Money(values["members_earnings"]["amount"], "TJS"))
        return Response(PerformanceReportSerializer(report).data, status=status.HTTP_201_CREATED)


def get_visible_or_404_safe(obj, user) -> bool:
    return type(obj).objects.visible_to(user).filter(pk=obj.pk).exists()


class GrantSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(source="amount.amount", **MONEY)
    currency = serializers.ChoiceField(source="amount.currency.code", choices=BUDGET_CURRENCIES, default="TJS")

    class Meta:
        model = Grant
        fields = ["id", "enterprise", "amount", "currency", "granted_on", "conditions", "repayable", "status",
                  "posting_request"]
        read_only_fields = ["status", "posting_request"]


class RepaymentSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    date = serializers.DateField()


class GrantStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Grant.Status.choices)


class GrantViewSet(ScopedModelViewSet):
    queryset = Grant.objects.select_related("enterprise")
    serializer_class = GrantSerializer
    filterset_fields = ["enterprise", "status", "enterprise__jamoat"]
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        values = serializer.validated_data
        enterprise = values["enterprise"]
        if not get_visible_or_404_safe(enterprise, self.request.user):
            raise serializers.ValidationError({"enterprise": [_("Choose one from your scope.")]})
        money = values["amount"]
        serializer.instance = services.grant_create(
            user=self.request.user, enterprise=enterprise,
            amount=Money(money["amount"], money.get("currency", {}).get("code", "TJS")),
            granted_on=values["granted_on"], conditions=values.get("conditions", ""),
            repayable=values.get("repayable", False))

    @extend_schema(request=GrantStatusSerializer, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        grant = self.get_object()
        serializer = GrantStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = services.grant_set_status(user=request.user, grant=grant, status=serializer.validated_data["status"])
        return Response(GrantSerializer(grant).data)

    @extend_schema(request=RepaymentSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def repayments(self, request, pk=None):
        """Request a repayment of the grant (posted when a second person approves the posting request)."""
        grant = get_visible_or_404(Grant, request.user, pk=pk)
        serializer = RepaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        posting = services.grant_repayment_request(user=request.user, grant=grant, amount=values["amount"],
                                                   on=values["date"],
                                                   idempotency_key=idempotency.key_from_request(request))
        return Response({"request": posting.pk, "status": posting.status}, status=status.HTTP_201_CREATED)


routes = [
    ("funding-windows", FundingWindowViewSet, "funding-window"),
    ("projects", ProjectViewSet, "project"),
    ("enterprises", EnterpriseViewSet, "enterprise"),
    ("grants", GrantViewSet, "grant"),
]
