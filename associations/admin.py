from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from associations.models import Association, TreasurerAssignment


@admin.register(Association)
class AssociationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "jamoat", "founded", "status"]
    list_filter = ["status", "jamoat__district__region"]
    search_fields = ["name", "jamoat__name"]


@admin.register(TreasurerAssignment)
class TreasurerAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "association"]
    search_fields = ["user__username", "association__name"]
