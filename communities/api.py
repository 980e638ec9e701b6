from rest_framework import serializers

from communities.models import District, Enrolment, Facility, Jamoat, Programme, Region, ResourceCentre, Village
from mha_portal.api import ScopedModelViewSet, ScopedReadOnlyViewSet


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_tg", "name_ru", "former_names"]


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "region", "name", "name_tg", "name_ru", "former_names"]


class JamoatSerializer(serializers.ModelSerializer):
    region = serializers.IntegerField(source="district.region_id", read_only=True)

    class Meta:
        model = Jamoat
        fields = ["id", "district", "region", "name", "name_tg", "name_ru", "former_names"]


class VillageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Village
        fields = ["id", "jamoat", "name", "name_tg", "name_ru", "former_names"]


class FacilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = ["id", "centre", "kind", "status", "installed_on", "notes"]
        read_only_fields = ["centre", "kind"]


class ResourceCentreSerializer(serializers.ModelSerializer):
    facilities = FacilitySerializer(many=True, read_only=True)

    class Meta:
        model = ResourceCentre
        fields = ["id", "jamoat", "name", "address", "phone", "opened", "facilities"]


class EnrolmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = ["jamoat", "enrolled_on", "left_on"]


class ProgrammeSerializer(serializers.ModelSerializer):
    enrolments = EnrolmentSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = ["id", "code", "name", "implementing_agency", "donor", "currency", "start_date", "end_date",
                  "enrolments"]


class ProgrammeViewSet(ScopedReadOnlyViewSet):
    """The programmes a user works in, with the jamoats enrolled (no personal data)."""

    queryset = Programme.objects.prefetch_related("enrolments").order_by("-start_date", "name")
    serializer_class = ProgrammeSerializer
    search_fields = ["name", "code", "implementing_agency", "donor"]


class RegionViewSet(ScopedReadOnlyViewSet):
    queryset = Region.objects.order_by("name")
    serializer_class = RegionSerializer
    search_fields = ["name", "name_tg", "name_ru"]


class DistrictViewSet(ScopedReadOnlyViewSet):
    queryset = District.objects.order_by("name")
    serializer_class = DistrictSerializer
    filterset_fields = ["region"]
    search_fields = ["name", "name_tg", "name_ru"]


class JamoatViewSet(ScopedReadOnlyViewSet):
    queryset = Jamoat.objects.select_related("district").order_by("name")
    serializer_class = JamoatSerializer
    filterset_fields = ["district", "district__region"]
    search_fields = ["name", "name_tg", "name_ru"]


class VillageViewSet(ScopedReadOnlyViewSet):
    queryset = Village.objects.order_by("name")
    serializer_class = VillageSerializer
    filterset_fields = ["jamoat"]
    search_fields = ["name", "name_tg", "name_ru"]


class ResourceCentreViewSet(ScopedReadOnlyViewSet):
    queryset = ResourceCentre.objects.prefetch_related("facilities").order_by("name")
    serializer_class = ResourceCentreSerializer
    filterset_fields = ["jamoat"]


class FacilityViewSet(ScopedModelViewSet):
    """Staff keep their centre's facility status up to date; officers read all."""

    queryset = Facility.objects.select_related("centre").order_by("centre__name", "kind")
    serializer_class = FacilitySerializer
    filterset_fields = ["centre", "centre__jamoat", "kind", "status"]
    http_method_names = ["get", "put", "patch", "head", "options"]


routes = [
    ("programmes", ProgrammeViewSet, "programme"),
    ("regions", RegionViewSet, "region"),
    ("districts", DistrictViewSet, "district"),
    ("jamoats", JamoatViewSet, "jamoat"),
    ("villages", VillageViewSet, "village"),
    ("resource-centres", ResourceCentreViewSet, "resource-centre"),
    ("facilities", FacilityViewSet, "facility"),
]
