"""Admin: reference data editable by administrators; the ledger itself is read-only here too."""

from django.contrib import admin

from remittances.models import (
    ConversionRequest,
    ExchangeRate,
    Fund,
    FundCash,
    LedgerBook,
    LedgerEntry,
    PeriodClose,
    PostingRequest,
    Reconciliation,
    ReversalRequest,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["association", "sequence", "entry_date", "kind", "fund", "amount", "amount_tjs", "amount_eur",
                    "receipt_number"]
    list_filter = ["kind", "association"]
    search_fields = ["note", "counterparty", "reference"]
    list_select_related = ["association", "fund"]


@admin.register(FundCash)
class FundCashAdmin(ReadOnlyAdmin):
    list_display = ["fund", "currency", "amount"]
    list_select_related = ["fund"]


@admin.register(ConversionRequest)
class ConversionRequestAdmin(ReadOnlyAdmin):
    list_display = ["association", "entry_date", "sold", "bought", "rate_obtained", "status"]
    list_filter = ["status"]
    list_select_related = ["association"]


@admin.register(LedgerBook)
class LedgerBookAdmin(ReadOnlyAdmin):
    list_display = ["association", "last_sequence", "last_receipt", "closed_through"]


@admin.register(PostingRequest)
class PostingRequestAdmin(ReadOnlyAdmin):
    list_display = ["association", "kind", "fund", "amount", "status", "requested_by", "decided_by"]
    list_filter = ["status", "kind"]


@admin.register(ReversalRequest)
class ReversalRequestAdmin(ReadOnlyAdmin):
    list_display = ["association", "entry", "reason", "status", "requested_by", "decided_by"]
    list_filter = ["status"]


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = ["association", "date", "currency", "expected", "counted", "reason"]


@admin.register(PeriodClose)
class PeriodCloseAdmin(ReadOnlyAdmin):
    list_display = ["association", "closed_through", "closed_by", "created_at"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin):
    """Rates go through the import or the two-officer manual entry, not the admin."""

    list_display = ["date", "currency", "rate", "source", "status"]
    list_filter = ["currency", "source", "status"]
    date_hierarchy = "date"


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["association", "kind", "code", "name", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code", "association__name"]

    def has_delete_permission(self, request, obj=None):
        return False
