"""The admin writes around the services: each change that can alter a completion refreshes the
summary of completions itself (`training.completions`), for the people and modules it touched."""

from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from training.completions import completions_refresh
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


def _attendees(sessions) -> tuple[set[int], set[int]]:
    """The modules of these sessions and the people who attended them."""
    rows = Attendance.objects.filter(session__in=sessions).order_by().values_list("member_id", "session__module_id")
    return {member for member, _module in rows}, {module for _member, module in rows}


@admin.register(TrainingModule)
class TrainingModuleAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "category", "sessions_required", "developed_on", "published_on"]
    list_filter = ["category"]
    search_fields = ["code", "title", "title_tg", "title_ru"]
    inlines = [MaterialInline]

    def save_model(self, request, obj, form, change):
        # From the database, not the form: a revert from the history compares with the old version.
        before = TrainingModule.objects.filter(pk=obj.pk).values_list("sessions_required", flat=True).first()
        super().save_model(request, obj, form, change)
        if before is not None and before != obj.sessions_required:
            completions_refresh(module_ids=[obj.pk])


@admin.register(TrainingSession)
class TrainingSessionAdmin(SimpleHistoryAdmin):
    list_display = ["date", "module", "jamoat", "trainer", "venue"]
    list_filter = ["module__category", "jamoat"]
    search_fields = ["module__title", "trainer", "venue"]
    date_hierarchy = "date"
    list_select_related = ["module", "jamoat"]

    def save_model(self, request, obj, form, change):
        before = TrainingSession.objects.filter(pk=obj.pk).values_list("module_id", flat=True).first()
        super().save_model(request, obj, form, change)
        if change:
            members, _modules = _attendees([obj.pk])
            completions_refresh(module_ids={before, obj.module_id}, member_ids=members)

    def delete_model(self, request, obj):
        members, modules = _attendees([obj.pk])
        super().delete_model(request, obj)
        completions_refresh(module_ids=modules, member_ids=members)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        members, modules = _attendees(queryset.values("pk"))
        super().delete_queryset(request, queryset)
        completions_refresh(module_ids=modules, member_ids=members)


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "member", "recorded_at"]
    raw_id_fields = ["session", "member"]
    list_select_related = ["session__module", "session__jamoat", "member"]

    def save_model(self, request, obj, form, change):
        before = Attendance.objects.filter(pk=obj.pk).values_list("member_id", "session__module_id").first()
        super().save_model(request, obj, form, change)
        members, modules = {obj.member_id}, {obj.session.module_id}
        if before:
            members.add(before[0])
            modules.add(before[1])
        completions_refresh(module_ids=modules, member_ids=members)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        completions_refresh(module_ids=[obj.session.module_id], member_ids=[obj.member_id])

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        rows = list(queryset.order_by().values_list("member_id", "session__module_id"))
        super().delete_queryset(request, queryset)
        completions_refresh(module_ids={module for _member, module in rows},
                            member_ids={member for member, _module in rows})


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
