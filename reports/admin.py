from django.contrib import admin

from reports.models import Indicator, ReportJob, Target, TargetRevision


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    readonly_fields = ["jamoat", "low", "high"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # targets change on the indicator page, which keeps the reason


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "per_community", "computation", "programme"]
    list_filter = ["programme", "unit"]
    search_fields = ["code", "name", "name_tg", "name_ru"]
    inlines = [TargetInline]


@admin.register(TargetRevision)
class TargetRevisionAdmin(admin.ModelAdmin):
    list_display = ["target", "changed_at", "changed_by", "old_low", "new_low", "reason"]
    readonly_fields = [f.name for f in TargetRevision._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "jamoat", "status", "progress", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in ReportJob._meta.fields]

    def has_add_permission(self, request):
        return False
