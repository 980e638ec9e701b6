"""User administration with the assignments that give each user a role and a scope."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from associations.models import TreasurerAssignment
from communities.models import StaffAssignment

User = get_user_model()


class StaffAssignmentInline(admin.TabularInline):
    model = StaffAssignment
    extra = 0
    autocomplete_fields = ["jamoat"]


class TreasurerAssignmentInline(admin.TabularInline):
    model = TreasurerAssignment
    extra = 0
    autocomplete_fields = ["association"]


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [StaffAssignmentInline, TreasurerAssignmentInline]
    list_display = ["username", "first_name", "last_name", "is_active", "is_superuser", "last_login"]


admin.site.site_header = "MHA Portal"
admin.site.site_title = "MHA Portal"
