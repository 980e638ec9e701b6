from functools import cache

from django.db.models import Q
from rest_framework import serializers, status
from rest_framework.response import Response

from associations import services
from associations.models import Association, Meeting, Membership
from households.models import Household
from mha_portal.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from mha_portal.idempotency import IdempotencyConflict, key_from_request
from mha_portal.scoping import get_visible_or_404


class AssociationSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    def get_status(self, association) -> str:
        return association.status

    class Meta:
        model = Association
        fields = ["id", "jamoat", "name", "founded", "status"]


def households_for_enrolment(user):
    """Households the user sees, or of a jamoat whose MHA they run (a treasurer enrols them)."""
    # By jamoat id, not through the jamoat's associations: no to-many join, so no DISTINCT.
    return Household.objects.filter(
        Q(pk__in=Household.objects.visible_to(user).values("pk"))
        | Q(village__jamoat_id__in=Association.objects.editable_by(user).values("jamoat_id")))


class MembershipSerializer(serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all())

    class Meta:
        model = Membership
        fields = ["id", "association", "household", "joined", "left"]
        read_only_fields = ["left"]
        validators = []  # the service checks "one active membership" with a clear message

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Households the user sees, or of a jamoat whose MHA they run (to enrol them); any
            # other id reads like a missing one.
            field = self.fields["household"]
            field.queryset = households_for_enrolment(request.user)
            field.scope_limited = True


class MeetingSerializer(serializers.ModelSerializer):
    attendees = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all(), many=True, required=False)

    class Meta:
        model = Meeting
        fields = ["id", "association", "date", "minutes", "decisions", "attendees"]


def idempotent_response(create):
    """Run a create; 201 with the new row, 200 with the first one on a retry, 422 on a reused key."""
    try:
        obj, serializer_class = create()
    except IdempotencyConflict as conflict:
        return Response({"non_field_errors": conflict.messages}, status=422)
    replay = getattr(obj, "idempotent_replay", False)
    return Response(_representer(serializer_class).to_representation(obj),
                    status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)


@cache
def _representer(serializer_class) -> serializers.Serializer:
    """One serializer per class for the answers of creates: a ModelSerializer builds its fields
    anew for every instance (a tenth of a posting's time), and an answer needs no context."""
    return serializer_class()


class AssociationViewSet(ScopedReadOnlyViewSet):
    queryset = Association.objects.select_related("jamoat").order_by("name")
    serializer_class = AssociationSerializer
    filterset_fields = ["jamoat", "status"]
    search_fields = ["name"]


class MembershipViewSet(ScopedModelViewSet):
    queryset = Membership.objects.select_related("household").order_by("association", "household__code")
    serializer_class = MembershipSerializer
    filterset_fields = ["association", "household"]
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        association = get_visible_or_404(Association, request.user, pk=data["association"].pk)
        membership = services.membership_join(user=request.user, association=association, household=data["household"],
                                              joined=data["joined"])
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MeetingViewSet(ScopedModelViewSet):
    queryset = Meeting.objects.prefetch_related("attendees").order_by("-date")
    serializer_class = MeetingSerializer
    filterset_fields = ["association"]
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        association = get_visible_or_404(Association, request.user, pk=data["association"].pk)

        def create():
            return services.meeting_record(
                user=request.user, association=association, meeting_date=data["date"],
                minutes=data.get("minutes", ""), decisions=data.get("decisions", ""),
                attendees=data.get("attendees", []), idempotency_key=key_from_request(request)), MeetingSerializer

        return idempotent_response(create)


routes = [
    ("associations", AssociationViewSet, "association"),
    ("memberships", MembershipViewSet, "membership"),
    ("meetings", MeetingViewSet, "meeting"),
]
