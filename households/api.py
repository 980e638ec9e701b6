"""/api/v1/households/, /members/ and /migration-episodes/: the same rules as the pages,
through the same selectors and services."""

from django.db import connection
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from communities.models import Village
from households.exports import household_export_response
from households.models import ConsentRecord, Household, Member, MigrationEpisode
from households.selectors import (
    SORTS,
    HouseholdFilters,
    attach_derived,
    household_list,
    household_rows,
    possible_duplicates,
    search_condition,
    walks_index,
    with_derived,
)
from households.services import (
    consent_record,
    episode_create,
    episode_update,
    household_create,
    household_set_head,
    household_update,
    member_create,
    member_update,
)
from mha_portal.api import BY_ID, KeysetPagination, ScopedModelViewSet, read_by_id
from mha_portal.inputs import parse_id
from mha_portal.scoping import get_editable_or_404, get_visible_or_404
from privacy.audit import LogSensitiveReadsMixin


def _yes_no(value: str | None) -> bool | None:
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    return None


class MemberInlineSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Member
        fields = ["id", "last_name", "first_name", "patronymic", "full_name", "sex", "birth_year", "relation",
                  "education", "phone"]


class HouseholdSerializer(serializers.ModelSerializer):
    jamoat = serializers.IntegerField(source="village.jamoat_id", read_only=True)
    size = serializers.IntegerField(read_only=True)
    abroad_now = serializers.BooleanField(read_only=True, help_text="A member is abroad on a trip now.")
    has_returned = serializers.BooleanField(read_only=True, help_text="A member's last trip has ended.")
    members = MemberInlineSerializer(many=True, required=False,
                                     help_text="On creation: the members, exactly one with relation \"head\".")
    code = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                 help_text="Left empty, the portal assigns one.")

    class Meta:
        model = Household
        fields = ["id", "code", "village", "jamoat", "address", "phone", "status", "notes", "head", "size",
                  "abroad_now", "has_returned", "members", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # The service explains "already the head of household X"; the generic unique check would not.
        extra_kwargs = {"head": {"validators": []}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "village" in self.fields:
            self.fields["village"].queryset = Village.objects.visible_to(request.user)
            self.fields["head"].queryset = Member.objects.visible_to(request.user)

    def validate_code(self, value):
        value = value.strip()
        if value and Household.objects.filter(code=value).exclude(pk=getattr(self.instance, "pk", None)).exists():
            raise serializers.ValidationError(_("A household with this code already exists."))
        return value

    def create(self, validated_data):
        members = validated_data.pop("members", [])
        validated_data.pop("head", None)
        return household_create(user=self.context["request"].user, members=members, **validated_data)

    def update(self, instance, validated_data):
        user = self.context["request"].user
        validated_data.pop("members", None)
        if validated_data.pop("code", instance.code) != instance.code:
            raise serializers.ValidationError({"code": _("The household code cannot be changed.")})
        head = validated_data.pop("head", None)
        if head is not None and head.pk != instance.head_id:
            household_set_head(user=user, household=instance, member=head)
        return household_update(user=user, household=instance, **validated_data)


class MemberSerializer(MemberInlineSerializer):
    class Meta(MemberInlineSerializer.Meta):
        fields = ["id", "household", *MemberInlineSerializer.Meta.fields[1:]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["household"].queryset = Household.objects.editable_by(request.user)

    def create(self, validated_data):
        return member_create(user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return member_update(user=self.context["request"].user, member=instance, **validated_data)


class MigrationEpisodeSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="member.household_id", read_only=True)

    class Meta:
        model = MigrationEpisode
        fields = ["id", "member", "household", "destination_country", "destination_city", "sector",
                  "departure_date", "return_date", "legal_status", "remittance_channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["member"].queryset = Member.objects.editable_by(request.user)

    def create(self, validated_data):
        return episode_create(user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return episode_update(user=self.context["request"].user, episode=instance, **validated_data)


class ConsentRecordSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = ConsentRecord
        fields = ["id", "household", "purpose", "given_by", "given_on", "withdrawn_on", "recorded_by", "recorded_at"]
        read_only_fields = ["withdrawn_on", "recorded_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["household"].queryset = Household.objects.editable_by(request.user)
            self.fields["given_by"].queryset = Member.objects.editable_by(request.user)

    def create(self, validated_data):
        return consent_record(user=self.context["request"].user, **validated_data)


HOUSEHOLD_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Any member's name (Latin or Cyrillic), code or phone."),
    OpenApiParameter("village", OpenApiTypes.INT),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Household.Status.values),
    OpenApiParameter("abroad", OpenApiTypes.BOOL, description="A member is abroad now."),
    OpenApiParameter("returned", OpenApiTypes.BOOL, description="A member is a returned migrant."),
    OpenApiParameter("destination", OpenApiTypes.STR, enum=MigrationEpisode.Country.values,
                     description="A member has travelled to this country."),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS)),
]


class ExportQuerySerializer(serializers.Serializer):
    purpose = serializers.CharField(min_length=5, max_length=500,
                                    help_text="Why these personal data leave the portal (kept in the access log).")
    file_format = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")


class DuplicateQuerySerializer(serializers.Serializer):
    village = serializers.IntegerField(required=False)
    last_name = serializers.CharField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")


class DuplicateSerializer(serializers.ModelSerializer):
    head_name = serializers.CharField(source="head.full_name", default="", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "code", "village", "phone", "head_name"]


def _village_id(text: str) -> int | None:
    if text and parse_id(text) is None:
        raise serializers.ValidationError({"village": [_("A valid village id is required.")]})
    return parse_id(text)


# The sorts of `households.selectors.SORTS` as the keyset compares them: the same columns, but
# "newest" by id (registration order, unique where several households share a creation time).
CURSOR_ORDERINGS = {**SORTS, "newest": ("-id",)}


@extend_schema_view(list=extend_schema(parameters=HOUSEHOLD_PARAMETERS))
class HouseholdViewSet(LogSensitiveReadsMixin, ScopedModelViewSet):
    """Households in the user's scope; staff create and change those of their jamoats."""

    sensitive_record = "households.household"
    queryset = Household.objects.all()
    serializer_class = HouseholdSerializer
    filter_backends: list = []
    # Keyset pages (follow `next`): no COUNT(*) over the registry for every page.
    pagination_class = KeysetPagination

    def _filters(self) -> HouseholdFilters:
        params = self.request.query_params
        village = params.get("village", "")
        return HouseholdFilters(
            search=params.get("q", ""), village=_village_id(village),
            status=params.get("status", ""), abroad=_yes_no(params.get("abroad")),
            returned=_yes_no(params.get("returned")), destination=params.get("destination", ""),
            sort=params.get("sort", "code"))

    def get_queryset(self):
        members = Member.objects.order_by("id")
        filters = self._filters()
        if self.action == "list":
            # Sorted by the keyset (`cursor_ordering`), which reads its position from the row's
            # sorted-by columns (see SORTS). Rows that should be sorted rather than found by
            # walking an index are read by id first, which the planner then sorts (the
            # pagination finds the pages of a list by id itself).
            households = household_rows(user=self.request.user, filters=filters)
            if (connection.vendor == "postgresql" and self.cursor_ordering() not in BY_ID
                    and not walks_index(households, filters)):
                households = read_by_id(households)
        else:
            households = household_list(user=self.request.user, filters=filters)
        return households.prefetch_related(Prefetch("members", queryset=members))

    def cursor_ordering(self) -> tuple[str, ...]:
        """The list's sort as keyset columns, each ending in a unique one (code or id)."""
        return CURSOR_ORDERINGS.get(self._filters().sort, CURSOR_ORDERINGS["code"])

    @extend_schema(parameters=[ExportQuerySerializer, *HOUSEHOLD_PARAMETERS],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        """The households of the list filters as a CSV or XLSX file, with the members' phones and
        trips' legal status: `purpose` is required and kept in the access log."""
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return household_export_response(user=request.user, filters=self._filters(),
                                         fmt=query.validated_data["file_format"],
                                         purpose=query.validated_data["purpose"], path=request.get_full_path())

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return attach_derived(list(page)) if page is not None else None

    def get_object(self):
        lookup = {"pk": self.kwargs["pk"]}
        queryset = with_derived(self.get_queryset())
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return get_visible_or_404(queryset, self.request.user, **lookup)
        get_editable_or_404(Household, self.request.user, **lookup)
        return get_visible_or_404(queryset, self.request.user, **lookup)

    @extend_schema(parameters=[DuplicateQuerySerializer], responses=DuplicateSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="possible-duplicates")
    def possible_duplicates(self, request):
        """Households the user can see with the same head name in the village, or the same phone:
        ask before creating one, as the registration page does."""
        query = DuplicateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = possible_duplicates(
            user=request.user, village_id=query.validated_data.get("village"),
            head_last_name=query.validated_data["last_name"], head_first_name=query.validated_data["first_name"],
            phones=[query.validated_data["phone"]])
        return Response(DuplicateSerializer(found, many=True).data)

    def perform_create(self, serializer):
        household = serializer.save()
        serializer.instance = with_derived(self.get_queryset()).get(pk=household.pk)

    def perform_update(self, serializer):
        household = serializer.save()
        serializer.instance = with_derived(self.get_queryset()).get(pk=household.pk)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("q", OpenApiTypes.STR, description="Name (Latin or Cyrillic) or phone.")]))
class MemberViewSet(LogSensitiveReadsMixin, ScopedModelViewSet):
    sensitive_record = "households.member"
    queryset = Member.objects.order_by("household_id", "id")
    serializer_class = MemberSerializer
    filterset_fields = ["household", "household__village", "sex", "relation", "education"]

    def get_queryset(self):
        members = super().get_queryset()
        search = self.request.query_params.get("q", "")
        if search.strip():
            households = Household.objects.visible_to(self.request.user).filter(search_condition(search))
            members = members.filter(household__in=households.values("pk"))
        return members


class MigrationEpisodeViewSet(LogSensitiveReadsMixin, ScopedModelViewSet):
    sensitive_record = "households.migrationepisode"
    queryset = MigrationEpisode.objects.select_related("member").order_by("-departure_date", "-id")
    serializer_class = MigrationEpisodeSerializer
    filterset_fields = {
        "member": ["exact"], "member__household": ["exact"], "destination_country": ["exact"],
        "sector": ["exact"], "return_date": ["isnull"],  # legal_status is encrypted: not filterable
    }


class ConsentRecordViewSet(ScopedModelViewSet):
    """What each household consented to, when, given by whom and recorded by whom."""

    queryset = ConsentRecord.objects.select_related("recorded_by").order_by("household_id", "-given_on", "-id")
    serializer_class = ConsentRecordSerializer
    filterset_fields = ["household", "purpose"]
    http_method_names = ["get", "post", "head", "options"]


routes = [
    ("households", HouseholdViewSet, "household"),
    ("members", MemberViewSet, "member"),
    ("migration-episodes", MigrationEpisodeViewSet, "migration-episode"),
    ("household-consents", ConsentRecordViewSet, "household-consent"),
]
