from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from communities.models import (
    District,
    Enrolment,
    Facility,
    Jamoat,
    Programme,
    ProgrammeOfficer,
    Region,
    ResourceCentre,
    StaffAssignment,
    Village,
)


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_tg", "name_ru", "code"]
    search_fields = ["name", "name_tg", "name_ru"]


@admin.register(District)
class DistrictAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_tg", "name_ru", "region"]
    list_filter = ["region"]
    search_fields = ["name", "name_tg", "name_ru"]


class VillageInline(admin.TabularInline):
    model = Village
    extra = 0


@admin.register(Jamoat)
class JamoatAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_tg", "name_ru", "district"]
    list_filter = ["district__region", "district"]
    search_fields = ["name", "name_tg", "name_ru"]
    inlines = [VillageInline]


@admin.register(Village)
class VillageAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_tg", "jamoat"]
    list_filter = ["jamoat"]
    search_fields = ["name", "name_tg", "name_ru"]


class FacilityInline(admin.TabularInline):
    model = Facility
    extra = 0


@admin.register(ResourceCentre)
class ResourceCentreAdmin(SimpleHistoryAdmin):
    list_display = ["name", "jamoat", "phone", "opened"]
    inlines = [FacilityInline]


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "jamoat"]
    list_filter = ["jamoat"]
    search_fields = ["user__username", "jamoat__name"]


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    autocomplete_fields = ["jamoat"]


class ProgrammeOfficerInline(admin.TabularInline):
    model = ProgrammeOfficer
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    """Programmes, the jamoats enrolled in them and their officers (the officers' scope)."""

    list_display = ["name", "code", "implementing_agency", "donor", "currency", "start_date", "end_date"]
    search_fields = ["name", "code", "implementing_agency", "donor"]
    inlines = [EnrolmentInline, ProgrammeOfficerInline]
