"""API of the training app. Serializers only check types and that referenced rows are in the
user's scope; every write goes through a service, so the rules are the same as on the pages."""

from django.conf import settings
from django.urls import reverse
from djmoney.money import Money
from rest_framework import mixins, permissions, serializers, viewsets

from communities.models import Facility, Jamoat, Region
from households.models import Household, Member
from mha_portal.api import ScopedModelViewSet, ScopedViewSetMixin
from mha_portal.scoping import scope_for
from training import services
from training.models import (
    SHARE_FIELDS,
    Attendance,
    Audience,
    Campaign,
    Consultation,
    FacilityUsage,
    Language,
    SurveyResponse,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)


class ScopedRelatedMixin:
    """Limit the rows a write may point at to those the user can see: an out-of-scope id is
    answered like a missing one."""

    scoped_fields: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request else None
        for name, model in self.scoped_fields.items():
            if name in self.fields and not self.fields[name].read_only:
                self.fields[name].queryset = model.objects.visible_to(user)


class TrainingModuleSerializer(serializers.ModelSerializer):
    audiences = serializers.ListField(child=serializers.ChoiceField(choices=Audience.choices), allow_empty=False)
    languages = serializers.ListField(child=serializers.ChoiceField(choices=Language.choices), allow_empty=False)
    materials = serializers.SerializerMethodField()

    class Meta:
        model = TrainingModule
        fields = ["id", "code", "title", "title_tg", "title_ru", "category", "description", "audiences",
                  "languages", "sessions_required", "developed_on", "published_on", "materials"]

    def get_materials(self, module) -> list[dict]:
        return [{"id": m.id, "title": m.title, "language": m.language,
                 "url": reverse("training:material-download", args=[m.id])} for m in module.materials.all()]


class TrainingSessionSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    scoped_fields = {"jamoat": Jamoat}
    attendee_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingSession
        fields = ["id", "module", "jamoat", "date", "trainer", "venue", "notes", "attendee_count"]


class AttendanceSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    scoped_fields = {"session": TrainingSession, "member": Member}
    household = serializers.IntegerField(source="member.household_id", read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "session", "member", "household", "recorded_at"]
        validators = []  # the service answers a duplicate with its own message


class ConsultationSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    scoped_fields = {"jamoat": Jamoat, "member": Member}

    class Meta:
        model = Consultation
        fields = ["id", "jamoat", "member", "person_name", "date", "topic", "outcome", "referral", "notes",
                  "counsellor"]
        read_only_fields = ["counsellor"]


class CampaignSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    scoped_fields = {"jamoat": Jamoat}

    class Meta:
        model = Campaign
        fields = ["id", "jamoat", "date", "place", "topic", "people_reached", "materials"]


class FacilityUsageSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    scoped_fields = {"facility": Facility}

    class Meta:
        model = FacilityUsage
        fields = ["id", "facility", "year", "month", "count", "recorded_by"]
        read_only_fields = ["recorded_by"]
        validators = []  # recording a month again corrects it


class SurveyRoundSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    class Meta:
        model = SurveyRound
        fields = ["id", "name", "region", "start_date", "end_date", "published_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.all()


class SurveyResponseSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    scoped_fields = {"round": SurveyRound, "household": Household}
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                      allow_null=True, write_only=True)
    currency = serializers.ChoiceField(choices=settings.CURRENCY_CHOICES, required=False, write_only=True)

    class Meta:
        model = SurveyResponse
        fields = ["id", "round", "household", "interview_date", "received_remittances", "amount", "currency",
                  "frequency", "channel", "sender_relation", *SHARE_FIELDS, "investment_intention", "interviewer"]
        read_only_fields = ["interviewer"]
        validators = []  # the service answers a second interview with its own message

    def validate(self, attrs):
        amount = attrs.pop("amount", None)
        currency = attrs.pop("currency", None)
        if amount is not None:
            attrs["amount_12m"] = Money(amount, currency or "RUB")
        elif self.instance is None or "received_remittances" in attrs:
            attrs["amount_12m"] = None
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        money = instance.amount_12m
        data["amount"] = str(money.amount) if money is not None else None
        data["currency"] = str(money.currency) if money is not None else None
        return data


class ServiceWritesMixin:
    """create/update call `create_service` / `update_service` with the validated data."""

    create_service = None
    update_service = None
    instance_kwarg = ""

    def perform_create(self, serializer):
        serializer.instance = type(self).create_service(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = type(self).update_service(
            user=self.request.user, **{self.instance_kwarg: serializer.instance}, **serializer.validated_data)


class HasScope(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.is_authenticated and not scope_for(request.user).is_empty


class TrainingModuleViewSet(ServiceWritesMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                            viewsets.ReadOnlyModelViewSet):
    """The programme's modules: everyone with a role reads them; officers and administrators
    develop and publish them."""

    queryset = TrainingModule.objects.prefetch_related("materials").order_by("code")
    serializer_class = TrainingModuleSerializer
    permission_classes = [HasScope]
    filterset_fields = ["category"]
    search_fields = ["code", "title", "title_tg", "title_ru"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    create_service = services.module_create
    update_service = services.module_update
    instance_kwarg = "module"


class TrainingSessionViewSet(ServiceWritesMixin, ScopedModelViewSet):
    queryset = TrainingSession.objects.select_related("module", "jamoat").order_by("-date", "-id")
    serializer_class = TrainingSessionSerializer
    filterset_fields = {"module": ["exact"], "jamoat": ["exact"], "module__category": ["exact"],
                        "date": ["exact", "gte", "lte"]}
    search_fields = ["module__title", "trainer", "venue"]
    create_service = services.session_create
    update_service = services.session_update
    instance_kwarg = "session"

    def get_queryset(self):
        from django.db.models import Count

        return super().get_queryset().annotate(attendee_count=Count("attendances"))


class AttendanceViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                        viewsets.ReadOnlyModelViewSet):
    """Mark a person present (POST) or take the mark back (DELETE)."""

    queryset = Attendance.objects.select_related("member", "session").order_by("session_id", "member_id")
    serializer_class = AttendanceSerializer
    filterset_fields = ["session", "member", "member__household", "session__module"]

    def perform_create(self, serializer):
        serializer.instance = services.attendance_add(user=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.attendance_remove(user=self.request.user, attendance=instance)


class ConsultationViewSet(ServiceWritesMixin, ScopedModelViewSet):
    queryset = Consultation.objects.select_related("member").order_by("-date", "-id")
    serializer_class = ConsultationSerializer
    filterset_fields = {"jamoat": ["exact"], "topic": ["exact"], "outcome": ["exact"], "date": ["gte", "lte"]}
    search_fields = ["person_name", "member__last_name", "referral"]
    create_service = services.consultation_create
    update_service = services.consultation_update
    instance_kwarg = "consultation"


class CampaignViewSet(ServiceWritesMixin, ScopedModelViewSet):
    queryset = Campaign.objects.order_by("-date", "-id")
    serializer_class = CampaignSerializer
    filterset_fields = {"jamoat": ["exact"], "topic": ["exact"], "date": ["gte", "lte"]}
    search_fields = ["place", "materials"]
    create_service = services.campaign_create
    update_service = services.campaign_update
    instance_kwarg = "campaign"


class FacilityUsageViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """POST records a month's usage, or corrects it when the month is already there."""

    queryset = FacilityUsage.objects.order_by("-year", "-month", "facility_id")
    serializer_class = FacilityUsageSerializer
    filterset_fields = ["facility", "facility__centre__jamoat", "year", "month"]

    def perform_create(self, serializer):
        serializer.instance = services.facility_usage_record(user=self.request.user, **serializer.validated_data)


class SurveyRoundViewSet(ServiceWritesMixin, ScopedModelViewSet):
    queryset = SurveyRound.objects.select_related("region").order_by("-start_date", "name")
    serializer_class = SurveyRoundSerializer
    filterset_fields = ["region"]
    search_fields = ["name"]
    create_service = services.survey_round_create
    update_service = services.survey_round_update
    instance_kwarg = "survey_round"


class SurveyResponseViewSet(ServiceWritesMixin, ScopedModelViewSet):
    queryset = SurveyResponse.objects.order_by("-interview_date", "-id")
    serializer_class = SurveyResponseSerializer
    filterset_fields = ["round", "household", "household__village__jamoat", "channel"]
    search_fields = ["household__code"]
    create_service = services.survey_response_create
    update_service = services.survey_response_update
    instance_kwarg = "response"


routes = [
    ("training-modules", TrainingModuleViewSet, "training-module"),
    ("training-sessions", TrainingSessionViewSet, "training-session"),
    ("attendance", AttendanceViewSet, "attendance"),
    ("consultations", ConsultationViewSet, "consultation"),
    ("campaigns", CampaignViewSet, "campaign"),
    ("facility-usage", FacilityUsageViewSet, "facility-usage"),
    ("survey-rounds", SurveyRoundViewSet, "survey-round"),
    ("survey-responses", SurveyResponseViewSet, "survey-response"),
]
