"""Ledger API: read entries, rates and requests; create contributions and disbursement requests
through the same services as the pages; reversal and approval as their own actions. Every create
needs an `Idempotency-Key` header."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from associations.api import idempotent_response
from associations.models import Association
from households.models import Member
from mha_portal.api import KeysetPagination, ScopedReadOnlyViewSet
from mha_portal.idempotency import key_from_request
from mha_portal.scoping import can_write_in_association, get_visible_or_404
from remittances import services
from remittances.models import ConversionRequest, ExchangeRate, Fund, LedgerEntry, PostingRequest, ReversalRequest


def choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field documented inline, so that the schema's enum names do not collide across
    apps ("kind", "status" and "channel" mean different sets in different places)."""
    values = [value for value, _label in choices]

    # Documented as a string with its values listed: drf-spectacular would turn an inline enum
    # into a shared component again.
    @extend_schema_field({"type": "string", "description": "One of: " + ", ".join(values)})
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


class ExchangeRateSerializer(serializers.ModelSerializer):
    rate = serializers.CharField()
    currency = choice_field([("RUB", "RUB"), ("USD", "USD"), ("EUR", "EUR")])
    source = choice_field(ExchangeRate.Source.choices, read_only=True)
    status = choice_field(ExchangeRate.Status.choices, read_only=True)

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "date", "rate", "source", "status", "entered_by", "approved_by"]
        read_only_fields = ["source", "status", "entered_by", "approved_by"]
        validators = []


class LedgerEntrySerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(source="amount.amount", max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(source="amount.currency.code", read_only=True)
    verification_code = serializers.CharField(read_only=True)
    kind = choice_field(LedgerEntry.Kind.choices, read_only=True)
    channel = choice_field(LedgerEntry.Channel.choices, read_only=True)
    rate_source = choice_field(ExchangeRate.Source.choices, read_only=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "association", "fund", "sequence", "kind", "entry_date", "posted_at", "amount", "currency",
                  "rate", "rate_date", "rate_source", "eur_rate", "amount_tjs", "amount_eur", "channel",
                  "receipt_number", "payer", "migrant", "counterparty", "reference", "note", "reverses",
                  "transfer_pair", "created_by", "approved_by", "hash", "previous_hash", "verification_code"]


class PostingRequestSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(source="amount.amount", max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(source="amount.currency.code", read_only=True)
    kind = choice_field(PostingRequest.Kind.choices, read_only=True)
    channel = choice_field(LedgerEntry.Channel.choices, read_only=True)
    status = choice_field(PostingRequest.Status.choices, read_only=True)

    class Meta:
        model = PostingRequest
        fields = ["id", "association", "fund", "kind", "amount", "currency", "entry_date", "channel", "counterparty",
                  "reference", "purpose", "status", "requested_by", "decided_by", "decided_at", "entry"]


class ReversalRequestSerializer(serializers.ModelSerializer):
    status = choice_field(ReversalRequest.Status.choices, read_only=True)

    class Meta:
        model = ReversalRequest
        fields = ["id", "association", "entry", "reason", "status", "requested_by", "decided_by", "reversal"]


class PostingInputSerializer(serializers.Serializer):
    """A contribution (posted at once) or a disbursement (a request awaiting a second person)."""

    kind = choice_field([("contribution", _("Contribution")), ("disbursement", _("Disbursement"))])
    association = serializers.IntegerField()
    fund = serializers.IntegerField(required=False)
    amount = serializers.CharField(max_length=40, help_text=_("As typed, e.g. “1 234,50”."))
    currency = serializers.CharField(max_length=8)
    entry_date = serializers.DateField()
    channel = choice_field(LedgerEntry.Channel.choices)
    payer = serializers.IntegerField(required=False)
    migrant = serializers.IntegerField(required=False)
    counterparty = serializers.CharField(max_length=200, required=False, default="")
    purpose = serializers.CharField(max_length=500, required=False, default="")
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

    def validate(self, data):
        if data["kind"] == "contribution" and not data.get("payer"):
            raise serializers.ValidationError({"payer": _("Choose the paying household.")})
        if data["kind"] == "disbursement" and not (data.get("counterparty") and data.get("purpose")):
            raise serializers.ValidationError({"counterparty": _("Say who is paid and for what.")})
        return data


class ReverseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def _decision(call) -> Response:
    """Run an approve or reject action: a request someone already decided is a conflict (409),
    not bad input; any other refusal is a 400 naming the rule and the amounts."""
    try:
        return call()
    except DjangoValidationError as error:
        if getattr(error, "code", None) == "not_pending":
            return Response({"non_field_errors": error.messages}, status=status.HTTP_409_CONFLICT)
        raise


def _get(model, pk, field, user):
    # Looked up among the rows the user can see: out of scope and missing read the same.
    obj = model.objects.visible_to(user).filter(pk=pk).order_by().first()
    if obj is None:
        raise serializers.ValidationError({field: _("Not found.")})
    return obj


def _association_and_general_fund(user, pk: int) -> tuple[Association, Fund]:
    """The MHA (404 out of scope) and its general fund: a contribution names no fund.

    The MHA's own treasurer, who posts nearly every contribution, sees it by definition: their
    two rows are read by id, without building the query of their scope (the ORM took longer to
    build it than anything else a posting does; issue 16). Anyone else is looked up in their scope."""
    if can_write_in_association(user, pk):
        association = next(iter(Association.objects.raw(
            f"SELECT * FROM {Association._meta.db_table} WHERE id = %s", [pk])), None)
        if association is None:
            raise Http404
        fund = next(iter(Fund.objects.raw(
            f"SELECT * FROM {Fund._meta.db_table} WHERE association_id = %s AND kind = %s ORDER BY id",
            [pk, Fund.Kind.GENERAL])), None)
        return association, fund or services.general_fund(association)
    association = get_visible_or_404(Association, user, pk=pk)
    return association, services.general_fund(association)


class ExchangeRateViewSet(ScopedReadOnlyViewSet):
    queryset = ExchangeRate.objects.order_by("-date", "currency")
    serializer_class = ExchangeRateSerializer
    filterset_fields = ["currency", "date", "status"]

    def create(self, request):
        serializer = ExchangeRateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return idempotent_response(lambda: (services.exchange_rate_enter(
            user=request.user, currency=data["currency"], on=data["date"], rate=data["rate"],
            idempotency_key=key_from_request(request)), ExchangeRateSerializer))

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        rate = services.exchange_rate_decide(user=request.user, rate=self.get_object(), approve=True)
        return Response(ExchangeRateSerializer(rate).data)


class LedgerEntryViewSet(ScopedReadOnlyViewSet):
    """Entries newest first, in keyset pages (follow `next`; no `count`: the ledger is long)."""

    queryset = LedgerEntry.objects.order_by("-id")
    serializer_class = LedgerEntrySerializer
    pagination_class = KeysetPagination
    ordering_fields = ["id"]
    filterset_fields = ["association", "fund", "kind", "entry_date", "payer", "receipt_number"]
    search_fields = ["counterparty", "note", "reference"]

    def create(self, request):
        data = PostingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        if data.get("fund"):
            association = get_visible_or_404(Association, request.user, pk=data["association"])
            fund = _get(Fund, data["fund"], "fund", request.user)
        else:
            association, fund = _association_and_general_fund(request.user, data["association"])
        key = key_from_request(request)
        common = {"user": request.user, "fund": fund, "amount": data["amount"], "currency": data["currency"],
                  "entry_date": data["entry_date"], "channel": data["channel"], "idempotency_key": key}
        if data["kind"] == "contribution":
            migrant = _get(Member, data["migrant"], "migrant", request.user) if data.get("migrant") else None
            return idempotent_response(lambda: (services.contribution_post(
                association=association, payer=data["payer"], migrant=migrant, note=data["note"], **common),
                LedgerEntrySerializer))
        if fund.association_id != association.pk:
            raise serializers.ValidationError({"fund": _("This fund belongs to another association.")})
        return idempotent_response(lambda: (services.disbursement_request(
            counterparty=data["counterparty"], purpose=data["purpose"], **common), PostingRequestSerializer))

    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        entry = get_visible_or_404(LedgerEntry, request.user, pk=pk)
        data = ReverseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return idempotent_response(lambda: (services.reversal_request_create(
            user=request.user, entry=entry, reason=data.validated_data["reason"],
            idempotency_key=key_from_request(request)), ReversalRequestSerializer))


class PostingRequestViewSet(ScopedReadOnlyViewSet):
    queryset = PostingRequest.objects.order_by("-requested_at")
    serializer_class = PostingRequestSerializer
    filterset_fields = ["association", "fund", "status", "kind"]

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        posting = get_visible_or_404(PostingRequest, request.user, pk=pk)
        return _decision(lambda: Response(LedgerEntrySerializer(
            services.posting_request_approve(user=request.user, request=posting)).data,
            status=status.HTTP_201_CREATED))

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        posting = get_visible_or_404(PostingRequest, request.user, pk=pk)
        return _decision(lambda: Response(PostingRequestSerializer(services.posting_request_reject(
            user=request.user, request=posting, note=str(request.data.get("note", ""))[:500])).data))


class ReversalRequestViewSet(ScopedReadOnlyViewSet):
    queryset = ReversalRequest.objects.order_by("-requested_at")
    serializer_class = ReversalRequestSerializer
    filterset_fields = ["association", "status"]

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        reversal = get_visible_or_404(ReversalRequest, request.user, pk=pk)
        return _decision(lambda: Response(LedgerEntrySerializer(
            services.reversal_approve(user=request.user, request=reversal)).data, status=status.HTTP_201_CREATED))

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        reversal = get_visible_or_404(ReversalRequest, request.user, pk=pk)
        return _decision(lambda: Response(ReversalRequestSerializer(
            services.reversal_reject(user=request.user, request=reversal)).data))


class ConversionRequestSerializer(serializers.ModelSerializer):
    sold_amount = serializers.DecimalField(source="sold.amount", max_digits=14, decimal_places=2, read_only=True)
    sold_currency = serializers.CharField(source="sold.currency.code", read_only=True)
    bought_amount = serializers.DecimalField(source="bought.amount", max_digits=14, decimal_places=2, read_only=True)
    bought_currency = serializers.CharField(source="bought.currency.code", read_only=True)
    status = choice_field(ConversionRequest.Status.choices, read_only=True)
    gain_tjs = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, allow_null=True,
                                        help_text=_("Gain (+) or loss (−) against the National Bank rate."))
    gain_eur = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, allow_null=True)

    channel = choice_field(LedgerEntry.Channel.choices, read_only=True)

    class Meta:
        model = ConversionRequest
        fields = ["id", "association", "fund", "sold_amount", "sold_currency", "bought_amount", "bought_currency",
                  "rate_obtained", "entry_date", "channel", "counterparty", "note", "status", "requested_by",
                  "decided_by", "decided_at", "outflow", "inflow", "gain_tjs", "gain_eur"]


class ConversionInputSerializer(serializers.Serializer):
    fund = serializers.IntegerField()
    sold_amount = serializers.CharField(max_length=40, help_text=_("As typed, e.g. “10 000”."))
    sold_currency = serializers.CharField(max_length=8)
    bought_amount = serializers.CharField(max_length=40)
    bought_currency = serializers.CharField(max_length=8)
    entry_date = serializers.DateField()
    counterparty = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    channel = choice_field(LedgerEntry.Channel.choices, required=False, default=LedgerEntry.Channel.CASH)


class ConversionRequestViewSet(ScopedReadOnlyViewSet):
    """Currency exchanges (maker–checker): create, then another person approves or rejects."""

    queryset = ConversionRequest.objects.select_related("outflow", "inflow").order_by("-requested_at")
    serializer_class = ConversionRequestSerializer
    filterset_fields = ["association", "fund", "status"]

    @extend_schema(request=ConversionInputSerializer, responses={201: ConversionRequestSerializer})
    def create(self, request):
        data = ConversionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        fund = get_visible_or_404(Fund, request.user, pk=data["fund"])
        return idempotent_response(lambda: (services.conversion_request_create(
            user=request.user, fund=fund, sold_amount=data["sold_amount"], sold_currency=data["sold_currency"],
            bought_amount=data["bought_amount"], bought_currency=data["bought_currency"],
            entry_date=data["entry_date"], counterparty=data["counterparty"], note=data["note"],
            channel=data["channel"], idempotency_key=key_from_request(request)), ConversionRequestSerializer))

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        conversion = get_visible_or_404(ConversionRequest, request.user, pk=pk)
        return _decision(lambda: Response(ConversionRequestSerializer(
            services.conversion_request_approve(user=request.user, request=conversion)).data,
            status=status.HTTP_201_CREATED))

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        conversion = get_visible_or_404(ConversionRequest, request.user, pk=pk)
        return _decision(lambda: Response(ConversionRequestSerializer(
            services.conversion_request_reject(user=request.user, request=conversion)).data))


routes = [
    ("exchange-rates", ExchangeRateViewSet, "exchange-rate"),
    ("ledger-entries", LedgerEntryViewSet, "ledger-entry"),
    ("posting-requests", PostingRequestViewSet, "posting-request"),
    ("reversal-requests", ReversalRequestViewSet, "reversal-request"),
    ("conversion-requests", ConversionRequestViewSet, "conversion-request"),
]
