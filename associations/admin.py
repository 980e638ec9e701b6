from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from associations.models import Association, Meeting, Membership, Officer, TreasurerAssignment


@admin.register(Association)
class AssociationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "jamoat", "founded", "status"]
    list_filter = ["status", "jamoat__district__region"]
    search_fields = ["name", "jamoat__name"]


@admin.register(TreasurerAssignment)
class TreasurerAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "association"]
    search_fields = ["user__username", "association__name"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["household", "association", "joined", "left"]
    list_filter = ["association"]
    search_fields = ["household__code"]
    raw_id_fields = ["household"]


@admin.register(Officer)
class OfficerAdmin(SimpleHistoryAdmin):
    list_display = ["association", "role", "full_name", "started", "ended"]
    list_filter = ["role"]
    raw_id_fields = ["member", "user"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["association", "date"]
    raw_id_fields = ["attendees"]
