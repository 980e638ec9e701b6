from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from training.models import (
    Attendance,
    Campaign,
    Consultation,
    FacilityUsage,
    ModuleMaterial,
    SurveyResponse,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)


class MaterialInline(admin.TabularInline):
    model = ModuleMaterial
    extra = 0


@admin.register(TrainingModule)
class TrainingModuleAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "category", "sessions_required", "developed_on", "published_on"]
    list_filter = ["category"]
    search_fields = ["code", "title", "title_tg", "title_ru"]
    inlines = [MaterialInline]


@admin.register(TrainingSession)
class TrainingSessionAdmin(SimpleHistoryAdmin):
    list_display = ["date", "module", "jamoat", "trainer", "venue"]
    list_filter = ["module__category", "jamoat"]
    search_fields = ["module__title", "trainer", "venue"]
    date_hierarchy = "date"
    list_select_related = ["module", "jamoat"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "member", "recorded_at"]
    raw_id_fields = ["session", "member"]
    list_select_related = ["session__module", "session__jamoat", "member"]


@admin.register(Consultation)
class ConsultationAdmin(SimpleHistoryAdmin):
    list_display = ["date", "jamoat", "person", "topic", "outcome"]
    list_filter = ["topic", "outcome", "jamoat"]
    raw_id_fields = ["member"]


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin):
    list_display = ["date", "jamoat", "place", "topic", "people_reached"]
    list_filter = ["topic", "jamoat"]


@admin.register(FacilityUsage)
class FacilityUsageAdmin(SimpleHistoryAdmin):
    list_display = ["facility", "year", "month", "count"]
    list_filter = ["year", "facility__kind"]


@admin.register(SurveyRound)
class SurveyRoundAdmin(SimpleHistoryAdmin):
    list_display = ["name", "region", "start_date", "end_date", "published_on"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(SimpleHistoryAdmin):
    list_display = ["round", "household", "interview_date", "received_remittances", "channel"]
    list_filter = ["round", "channel"]
    raw_id_fields = ["household"]
