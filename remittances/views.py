"""Ledger pages. Views orchestrate: the rules live in services, the reads in selectors."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from associations.models import Association
from households.picker import picker_initial
from mha_portal import exports
from mha_portal.forms import show_service_error
from mha_portal.idempotency import IdempotencyConflict
from mha_portal.inputs import parse_id
from mha_portal.pdf import render_pdf
from mha_portal.scoping import get_visible_or_404, scope_for
from remittances import selectors, services
from remittances.chain import verify_chain
from remittances.forms import (
    CashCountForm,
    CashThresholdForm,
    ContributionForm,
    ConversionForm,
    DisbursementForm,
    LedgerFilterForm,
    PeriodCloseForm,
    RateEntryForm,
    RateImportForm,
    ReversalForm,
    TransferForm,
)
from remittances.models import (
    ConversionRequest,
    ExchangeRate,
    LedgerBook,
    LedgerEntry,
    PostingRequest,
    Reconciliation,
    ReversalRequest,
)


def _association(request, pk: int) -> Association:
    return get_visible_or_404(Association.objects.select_related("jamoat"), request.user, pk=pk)


def _run(form, action):
    """Call a service; on refusal put its message on the form. Returns (result, status)."""
    try:
        return action(), 200
    except IdempotencyConflict as conflict:
        form.add_error(None, conflict.messages)
        return None, 422
    except ValidationError as error:
        show_service_error(form, error)
        return None, 400


@login_required
def home(request):
    scope = scope_for(request.user)
    if not scope.reads_all and len(scope.association_ids) == 1:
        return redirect("remittances:mha", pk=next(iter(scope.association_ids)))
    search = request.GET.get("q", "").strip()
    associations = selectors.associations_with_totals(user=request.user)
    if search:
        associations = associations.filter(name__icontains=search)
    page = Paginator(associations, 25).get_page(request.GET.get("page"))
    return render(request, "remittances/home.html", {"page": page, "search": search})


@login_required
def mha_home(request, pk: int):
    association = _association(request, pk)
    may_post = services.may_keep_books(request.user, association)
    form = None
    status = 200
    if may_post:
        services.general_fund(association)
        form = ContributionForm(request.POST or None, association=association,
                                initial=picker_initial(request, "payer"))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            entry, status = _run(form, lambda: services.contribution_post(
                user=request.user, association=association, fund=data["fund"], payer=data["payer"],
                amount=data["amount"], currency=data["currency"], entry_date=data["entry_date"],
                channel=data["channel"], note=data["note"], idempotency_key=data["idempotency_key"]))
            if entry is not None:
                messages.success(request, _("Contribution recorded: receipt no. %(number)s.")
                                 % {"number": entry.receipt_number})
                return redirect(f"{request.path}?receipt={entry.pk}")
        elif request.method == "POST":
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    funds = selectors.fund_balances(association=association)
    cash = selectors.association_cash(association=association)
    cash_total: dict[str, object] = {}
    for fund in funds:
        fund.cash_held = sorted(cash.get(fund.pk, {}).items())
        for currency, amount in fund.cash_held:
            cash_total[currency] = cash_total.get(currency, selectors.ZERO) + amount
    receipt = None
    if parse_id(request.GET.get("receipt")):
        receipt = LedgerEntry.objects.visible_to(request.user).filter(pk=parse_id(request.GET["receipt"]),
                                                                     association=association).first()
    context = {
        "association": association, "form": form, "may_post": may_post, "receipt": receipt,
        "funds": funds,
        "total": selectors.Balance(tjs=sum((f.balance_tjs for f in funds), selectors.ZERO),
                                   eur=sum((f.balance_eur for f in funds), selectors.ZERO)),
        "entries": LedgerEntry.objects.filter(association=association).select_related("fund", "payer")
        .order_by("-sequence")[:10],
        "pending_postings": PostingRequest.objects.filter(association=association, status="pending")
        .select_related("fund", "requested_by"),
        "pending_reversals": ReversalRequest.objects.filter(association=association, status="pending")
        .select_related("entry", "requested_by"),
        "pending_conversions": ConversionRequest.objects.filter(association=association, status="pending")
        .select_related("fund", "requested_by"),
        "conversions": ConversionRequest.objects.filter(association=association, status="approved")
        .select_related("outflow", "inflow").order_by("-entry_date", "-pk")[:5],
        "cash_total": sorted(cash_total.items()),
        "may_approve": services.may_approve(request.user, association),
    }
    return render(request, "remittances/mha_home.html", context, status=status)


@login_required
def entry_list(request, pk: int):
    association = _association(request, pk)
    filters = LedgerFilterForm(request.GET or None, association=association)
    values = filters.cleaned_data if filters.is_valid() else {}
    entries = selectors.ledger_entries(
        user=request.user, association=association, fund=values.get("fund") and values["fund"].pk,
        kind=values.get("kind", ""), date_from=values.get("date_from"), date_to=values.get("date_to"),
        search=values.get("q", ""))
    if request.GET.get("export") == "csv":
        return _csv(association, entries)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "remittances/entry_list.html", {
        "association": association, "filters": filters, "page": page,
        "by_currency": selectors.totals_by_currency(entries)})


def _csv(association, entries) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ledger-{association.pk}.csv"'
    response.write("\ufeff")
    writer = exports.csv_writer(response)
    writer.writerow([_("No."), _("Date"), _("Kind"), _("Fund"), _("Receipt"), _("Payer"), _("Amount"),
                     _("Currency"), _("Rate"), _("Rate date"), "TJS", "EUR", _("Reverses"), _("Note")])
    for e in entries.iterator(chunk_size=2000):
        writer.writerow([e.sequence, e.entry_date, e.get_kind_display(), e.fund.name, e.receipt_number or "",
                         e.payer.code if e.payer else e.counterparty, e.amount.amount, e.amount.currency, e.rate,
                         e.rate_date, e.amount_tjs, e.amount_eur, e.reverses_id or "", e.note])
    return response


@login_required
def entry_detail(request, pk: int):
    entry = get_visible_or_404(LedgerEntry.objects.select_related("association", "fund", "payer", "migrant"),
                               request.user, pk=pk)
    may_request = services.may_keep_books(request.user, entry.association)
    form = ReversalForm(request.POST or None) if may_request else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            reversal, status = _run(form, lambda: services.reversal_request_create(
                user=request.user, entry=entry, reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["idempotency_key"]))
            if reversal is not None:
                messages.success(request, _("Correction requested; another person must approve it."))
                return redirect("remittances:mha", pk=entry.association_id)
        else:
            status = 400
    return render(request, "remittances/entry_detail.html", {"entry": entry, "form": form}, status=status)


@login_required
def receipt_pdf(request, pk: int):
    entry = get_visible_or_404(LedgerEntry.objects.select_related("association__jamoat", "fund", "payer__head",
                                                                  "migrant", "created_by"),
                               request.user, pk=pk, kind=LedgerEntry.Kind.CONTRIBUTION)
    pdf = render_pdf("remittances/receipt.html", {"entry": entry}, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{entry.association_id}-{entry.receipt_number}.pdf"'
    return response


@login_required
def disbursement_create(request, pk: int):
    association = _association(request, pk)
    if not services.may_keep_books(request.user, association) and not scope_for(request.user).reads_all:
        raise PermissionDenied
    form = DisbursementForm(request.POST or None, association=association)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            posting, status = _run(form, lambda: services.posting_request_create(
                user=request.user, fund=data["fund"], kind=data["kind"], amount=data["amount"],
                currency=data["currency"], entry_date=data["entry_date"], channel=data["channel"],
                counterparty=data["counterparty"], purpose=data["purpose"],
                idempotency_key=data["idempotency_key"]))
            if posting is not None:
                messages.success(request, _("Request recorded; another person must approve it."))
                return redirect("remittances:mha", pk=association.pk)
    return render(request, "remittances/form_page.html", {
        "association": association, "form": form, "title": _("Request a disbursement"),
        "submit": _("Send for approval")}, status=status)


@login_required
@require_POST
def decide(request, kind: str, pk: int, verdict: str):
    models = {"posting": PostingRequest, "reversal": ReversalRequest, "conversion": ConversionRequest}
    if kind not in models or verdict not in ("approve", "reject"):
        raise Http404
    item = get_visible_or_404(models[kind], request.user, pk=pk)
    try:
        if kind == "conversion":
            if verdict == "approve":
                services.conversion_request_approve(user=request.user, request=item)
            else:
                services.conversion_request_reject(user=request.user, request=item)
        elif kind == "posting":
            if verdict == "approve":
                services.posting_request_approve(user=request.user, request=item)
            else:
                services.posting_request_reject(user=request.user, request=item)
        elif verdict == "approve":
            services.reversal_approve(user=request.user, request=item)
        else:
            services.reversal_reject(user=request.user, request=item)
        messages.success(request, _("Decision recorded."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("remittances:mha", pk=item.association_id)


def _count_date(request):
    try:
        chosen = date.fromisoformat(request.POST.get("count_date") or request.GET.get("date") or "")
    except ValueError:
        return timezone.localdate()
    return min(chosen, timezone.localdate())


@login_required
def reconciliation(request, pk: int):
    """Expected cash per currency first, then the counted amounts; a difference beyond the MHA's
    threshold waits for a second person's confirmation."""
    association = _association(request, pk)
    may_post = services.may_keep_books(request.user, association)
    count_date = _count_date(request)
    expected = selectors.expected_cash_by_currency(association=association, through=count_date)
    form = None
    if may_post:
        form = CashCountForm(request.POST if "count" in request.POST else None, association=association,
                             expected=expected, initial={"count_date": count_date})
    threshold_form = CashThresholdForm(request.POST if "threshold" in request.POST else None)
    status = 200
    if request.method == "POST":
        status = 400
        if "threshold" in request.POST:
            if not scope_for(request.user).reads_all:
                raise PermissionDenied
            if threshold_form.is_valid():
                book, status = _run(threshold_form, lambda: services.cash_threshold_set(
                    user=request.user, association=association, threshold=threshold_form.cleaned_data["threshold"]))
                if book is not None:
                    messages.success(request, _("Threshold saved."))
                    return redirect("remittances:reconciliation", pk=association.pk)
        elif "confirm" in request.POST:
            record = get_visible_or_404(Reconciliation, request.user, pk=request.POST.get("confirm", "0"),
                                        association=association)
            try:
                services.reconciliation_confirm(user=request.user, reconciliation=record)
                messages.success(request, _("Cash count confirmed."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return redirect("remittances:reconciliation", pk=association.pk)
        elif form is None:
            raise PermissionDenied
        elif form.is_valid():
            data = form.cleaned_data
            records, status = _run(form, lambda: services.cash_count_record(
                user=request.user, association=association, count_date=data["count_date"], counts=form.counts(),
                meeting=data["meeting"], idempotency_key=data["idempotency_key"]))
            if records is not None:
                if any(r.awaiting_confirmation for r in records):
                    messages.warning(request, _("Cash count recorded. A difference is beyond the threshold: "
                                                "another person must confirm it."))
                else:
                    messages.success(request, _("Cash count recorded."))
                return redirect("remittances:reconciliation", pk=association.pk)
    book = LedgerBook.objects.filter(association=association).first()
    page = Paginator(association.reconciliations.select_related("counted_by", "confirmed_by"), 25).get_page(
        request.GET.get("page"))
    return render(request, "remittances/reconciliation.html", {
        "association": association, "form": form, "page": page, "expected": expected, "count_date": count_date,
        "threshold": book.cash_difference_threshold if book else LedgerBook._meta.get_field(
            "cash_difference_threshold").default,
        "threshold_form": threshold_form if scope_for(request.user).reads_all else None,
        "may_approve": services.may_approve(request.user, association)}, status=status)


@login_required
def period_close(request, pk: int):
    association = _association(request, pk)
    may_post = services.may_keep_books(request.user, association)
    form = PeriodCloseForm(request.POST or None) if may_post else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            close, status = _run(form, lambda: services.period_close(
                user=request.user, association=association, closed_through=form.cleaned_data["closed_through"]))
            if close is not None:
                messages.success(request, _("Period closed."))
                return redirect("remittances:period-close", pk=association.pk)
    return render(request, "remittances/period_close.html", {
        "association": association, "form": form, "closes": association.period_closes.select_related("closed_by")},
        status=status)


@login_required
def chain(request, pk: int):
    association = _association(request, pk)
    return render(request, "remittances/chain.html", {"association": association,
                                                      "state": verify_chain(association.pk)})


@login_required
def rates(request):
    """Dated rates: everyone with a role reads them; officers import, enter and approve."""
    scope = scope_for(request.user)
    if scope.is_empty:
        raise Http404
    may_manage = scope.reads_all
    import_form = RateImportForm(prefix="import") if may_manage else None
    entry_form = RateEntryForm(prefix="entry") if may_manage else None
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        status = 400
        if "import-file" in request.FILES:
            import_form = RateImportForm(request.POST, request.FILES, prefix="import")
            if import_form.is_valid():
                raw = import_form.cleaned_data["file"].read()
                try:
                    created = services.exchange_rates_import_csv(user=request.user, text=raw.decode("utf-8-sig"))
                except UnicodeDecodeError:
                    import_form.add_error("file", _("The file must be UTF-8 text."))
                except ValidationError as error:
                    import_form.add_error("file", error.messages)
                else:
                    messages.success(request, _("%(n)d rates imported.") % {"n": created})
                    return redirect("remittances:rates")
        else:
            entry_form = RateEntryForm(request.POST, prefix="entry")
            if entry_form.is_valid():
                data = entry_form.cleaned_data
                rate, status = _run(entry_form, lambda: services.exchange_rate_enter(
                    user=request.user, currency=data["currency"], on=data["date"], rate=data["rate"],
                    idempotency_key=data["idempotency_key"]))
                if rate is not None:
                    messages.success(request, _("Rate saved; a second officer must approve it."))
                    return redirect("remittances:rates")
    currency = request.GET.get("currency", "")
    listed = ExchangeRate.objects.visible_to(request.user).select_related("entered_by")
    if currency:
        listed = listed.filter(currency=currency)
    return render(request, "remittances/rates.html", {
        "page": Paginator(listed.order_by("-date", "currency"), 60).get_page(request.GET.get("page")),
        "pending": ExchangeRate.objects.filter(status=ExchangeRate.Status.PENDING).select_related("entered_by"),
        "import_form": import_form, "entry_form": entry_form, "may_manage": may_manage, "currency": currency,
    }, status=status)


@login_required
@require_POST
def rate_decide(request, pk: int, verdict: str):
    if verdict not in ("approve", "reject"):
        raise Http404
    rate = get_visible_or_404(ExchangeRate, request.user, pk=pk)
    try:
        services.exchange_rate_decide(user=request.user, rate=rate, approve=verdict == "approve")
        messages.success(request, _("Decision recorded."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("remittances:rates")


@login_required
def transfer_create(request, pk: int):
    """Move money from one fund of the MHA to another (e.g. earmark general money for a project)."""
    association = _association(request, pk)
    if not services.may_keep_books(request.user, association):
        raise PermissionDenied
    form = TransferForm(request.POST or None, association=association)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            entry, status = _run(form, lambda: services.transfer_post(
                user=request.user, source=data["source"], target=data["target"], amount=data["amount"],
                currency=data["currency"], entry_date=data["entry_date"], note=data["note"],
                idempotency_key=data["idempotency_key"]))
            if entry is not None:
                messages.success(request, _("Transfer recorded."))
                return redirect("remittances:mha", pk=association.pk)
    return render(request, "remittances/form_page.html", {
        "association": association, "form": form, "title": _("Move money between funds"),
        "submit": _("Record the transfer")}, status=status)


@login_required
def conversion_create(request, pk: int):
    """Cash exchanged at a money changer (e.g. roubles sold for somoni): posted when another
    person approves, with the gain or loss against the National Bank rate."""
    association = _association(request, pk)
    if not services.may_keep_books(request.user, association):
        raise PermissionDenied
    form = ConversionForm(request.POST or None, association=association)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            conversion, status = _run(form, lambda: services.conversion_request_create(
                user=request.user, fund=data["fund"], sold_amount=data["sold_amount"],
                sold_currency=data["sold_currency"], bought_amount=data["bought_amount"],
                bought_currency=data["bought_currency"], entry_date=data["entry_date"],
                counterparty=data["counterparty"], note=data["note"], idempotency_key=data["idempotency_key"]))
            if conversion is not None:
                messages.success(request, _("Exchange recorded; another person must approve it."))
                return redirect("remittances:mha", pk=association.pk)
    return render(request, "remittances/form_page.html", {
        "association": association, "form": form, "title": _("Exchange cash between currencies"),
        "submit": _("Send for approval")}, status=status)
