from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from households.models import Household, Member, MigrationEpisode
from households.services import household_refresh_search_text


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["last_name", "first_name", "patronymic", "sex", "birth_year", "relation", "education", "phone"]


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ["code", "head", "village", "status", "updated_at"]
    list_filter = ["status", "village__jamoat"]
    search_fields = ["code", "search_text"]
    raw_id_fields = ["village", "head"]
    inlines = [MemberInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Names typed here must be found by search like those entered on the pages.
        household_refresh_search_text(household_ids=[form.instance.pk])


@admin.register(MigrationEpisode)
class MigrationEpisodeAdmin(SimpleHistoryAdmin):
    list_display = ["member", "destination_country", "destination_city", "departure_date", "return_date"]
    list_filter = ["destination_country", "sector"]  # legal status is encrypted: no filter
    raw_id_fields = ["member"]
