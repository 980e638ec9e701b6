from django.contrib import admin

from privacy.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the access log is evidence."""

    list_display = ["at", "user", "kind", "record", "count", "purpose"]
    list_filter = ["kind", "record"]
    search_fields = ["user__username", "purpose", "path"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
