"""Demo money: a year of daily NBT-like rates, and for each MHA its members (60–80% of the
jamoat's households), officers, monthly meetings, monthly contributions mostly in RUB and TJS,
a few approved reversals, and one approved exchange of roubles for somoni.

Runs after households/demo.py. Entries are built in memory with their hash chain and written with
bulk_create (a year for 15 MHAs in seconds); an MHA that already has entries is left alone, so
running twice changes nothing.
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from djmoney.money import Money

from associations.models import Association, Meeting, Membership, Officer, TreasurerAssignment
from households.models import Household
from remittances.chain import entry_digest
from remittances.models import ConversionRequest, ExchangeRate, LedgerBook, LedgerEntry, ReversalRequest
from remittances.services import book_totals_rebuild, general_fund

CENT = Decimal("0.01")
DAYS = 400
# Rough NBT rates of 2025–26 (TJS per unit); each day drifts a little.
BASE_RATES = {"RUB": Decimal("0.1180"), "USD": Decimal("10.9500"), "EUR": Decimal("12.4000")}
CONTRIBUTIONS = {"RUB": [3000, 5000, 5000, 7000, 10000, 15000, 20000], "TJS": [100, 200, 300, 500, 800, 1000],
                 "USD": [50, 100, 200]}


def seed(*, rng, password_hash: str, stdout) -> None:
    today = timezone.localdate()
    rates = _seed_rates(rng, today)
    officer = get_user_model().objects.filter(username="officer").first()
    made = 0
    for association in Association.objects.select_related("jamoat").order_by("pk"):
        if association.ledger_entries.exists():
            continue
        treasurer = (TreasurerAssignment.objects.filter(association=association).select_related("user").first())
        if treasurer is None or officer is None:
            continue
        members = _seed_members(rng, association, today)
        if not members:
            continue
        meetings = _seed_meetings(rng, association, members, today)
        made += _seed_ledger(rng, association, members, meetings, rates, treasurer.user, officer, today)
    stdout.write(f"remittances: {made} ledger entries")


def _seed_rates(rng, today: date) -> dict:
    existing = set(ExchangeRate.objects.filter(date__gte=today - timedelta(days=DAYS))
                   .values_list("currency", "date"))
    current = dict(BASE_RATES)
    table, new = {}, []
    for offset in range(DAYS, -1, -1):
        day = today - timedelta(days=offset)
        for currency in BASE_RATES:
            drift = Decimal(str(round(rng.uniform(-0.004, 0.004), 5)))
            current[currency] = (current[currency] * (1 + drift)).quantize(Decimal("0.000001"))
            table[(currency, day)] = current[currency]
            if (currency, day) not in existing:
                new.append(ExchangeRate(currency=currency, date=day, rate=current[currency]))
    ExchangeRate.objects.bulk_create(new, batch_size=1000)
    # Posting uses what is stored (an earlier run may have stored other values).
    for currency, day, rate in ExchangeRate.objects.filter(date__gte=today - timedelta(days=DAYS),
                                                           status="approved").values_list("currency", "date", "rate"):
        table[(currency, day)] = rate
    return table


def _seed_members(rng, association: Association, today: date) -> list:
    households = list(Household.objects.filter(village__jamoat=association.jamoat).select_related("head")
                      .order_by("code"))
    if not association.memberships.exists():
        chosen = rng.sample(households, round(len(households) * rng.uniform(0.6, 0.8)))
        Membership.objects.bulk_create([
            Membership(association=association, household=h, joined=today - timedelta(days=rng.randint(420, 900)))
            for h in chosen])
        heads = [h.head for h in chosen if h.head_id][:3]
        for role, head in zip(Officer.Role.values, heads, strict=False):
            Officer.objects.create(association=association, role=role, full_name=head.full_name, member=head,
                                   started=today - timedelta(days=rng.randint(300, 700)))
    return list(Household.objects.filter(memberships__association=association, memberships__left__isnull=True)
                .order_by("code"))


def _seed_meetings(rng, association: Association, members: list, today: date) -> list:
    if association.meetings.exists():
        return list(association.meetings.order_by("date"))
    meetings = []
    for month in range(12, 0, -1):
        day = (today.replace(day=1) - timedelta(days=30 * month)).replace(day=rng.randint(5, 25))
        meeting = Meeting.objects.create(
            association=association, date=day, minutes="Ҷаласаи моҳона: ҳисоботи хазинадор.",
            decisions="Маблағҳо ба фонди умумӣ қабул шуданд.")
        meeting.attendees.set(rng.sample(members, max(1, len(members) * rng.randint(40, 80) // 100)))
        meetings.append(meeting)
    return meetings


def _seed_ledger(rng, association, members, meetings, rates, treasurer, officer, today) -> int:
    fund = general_fund(association)
    book, _ = LedgerBook.objects.get_or_create(association=association)
    tz = timezone.get_current_timezone()
    plan = []
    for meeting in meetings:
        for household in members:
            if rng.random() < 0.35:
                currency = rng.choices(["RUB", "TJS", "USD"], weights=[65, 30, 5])[0]
                channel = "cash" if currency == "TJS" else rng.choice(["mto", "mto", "bank", "cash"])
                day = meeting.date if channel == "cash" else meeting.date - timedelta(days=rng.randint(0, 10))
                plan.append((day, household, currency, Decimal(rng.choice(CONTRIBUTIONS[currency])), channel))
    plan.sort(key=lambda row: (row[0], row[1].code))
    entries = []
    for day, household, currency, amount, channel in plan:
        rate = Decimal(1) if currency == "TJS" else rates[(currency, day)]
        eur_rate = rates[("EUR", day)]
        tjs = (amount * rate).quantize(CENT, ROUND_HALF_UP)
        entries.append(LedgerEntry(
            fund=fund, kind="contribution", entry_date=day, amount=Money(amount, currency), rate=rate,
            rate_date=day, rate_source="nbt", eur_rate=eur_rate, amount_tjs=tjs,
            amount_eur=(tjs / eur_rate).quantize(CENT, ROUND_HALF_UP), channel=channel, payer=household,
            created_by=treasurer))
    reversed_ = set(rng.sample(range(len(entries)), min(3, len(entries))))
    chained, sequence, receipt, last_hash = [], 0, 0, ""
    for entry in entries:
        receipt += 1
        entry.receipt_number = receipt
        sequence, last_hash = _chain(entry, association, sequence, last_hash, tz)
        chained.append(entry)
    LedgerEntry.objects.bulk_create(chained, batch_size=500)
    # Corrections: a treasurer typed an amount twice; the officer approved the reversal.
    reversals = []
    for index in sorted(reversed_):
        original = chained[index]
        reversal = LedgerEntry(
            fund=fund, kind="reversal", entry_date=min(original.entry_date + timedelta(days=3), today),
            amount=original.amount, rate=original.rate, rate_date=original.rate_date, rate_source="nbt",
            eur_rate=original.eur_rate, amount_tjs=-original.amount_tjs, amount_eur=-original.amount_eur,
            channel=original.channel, payer=original.payer, note="Амал ду бор сабт шуда буд (entered twice)",
            reverses=original, created_by=treasurer, approved_by=officer)
        sequence, last_hash = _chain(reversal, association, sequence, last_hash, tz)
        reversals.append(reversal)
    LedgerEntry.objects.bulk_create(reversals)
    ReversalRequest.objects.bulk_create([
        ReversalRequest(association=association, entry=r.reverses, reason=r.note, status="approved",
                        requested_by=treasurer, decided_by=officer, decided_at=r.posted_at, reversal=r)
        for r in reversals])
    sequence, last_hash, exchanged = _seed_exchange(rng, association, fund, chained, reversals, rates, treasurer,
                                                    officer, today, sequence, last_hash, tz)
    LedgerBook.objects.filter(pk=book.pk).update(last_sequence=sequence, last_receipt=receipt, last_hash=last_hash)
    book_totals_rebuild([association.pk])
    return len(chained) + len(reversals) + exchanged


def _seed_exchange(rng, association, fund, chained, reversals, rates, treasurer, officer, today, sequence,
                   last_hash, tz):
    """Half the roubles held (at most 20,000) sold for somoni at a money changer, about 3% below
    the National Bank rate: two linked entries and the approved request, so the exchange loss shows."""
    held = sum((e.amount.amount for e in chained if str(e.amount.currency) == "RUB"), Decimal(0)) - sum(
        (r.amount.amount for r in reversals if str(r.amount.currency) == "RUB"), Decimal(0))
    sold = min(Decimal(20000), (held / 2 / 1000).quantize(Decimal(1), rounding="ROUND_FLOOR") * 1000)
    if sold <= 0:
        return sequence, last_hash, 0
    rub, eur = rates[("RUB", today)], rates[("EUR", today)]
    bought = (sold * rub * Decimal(str(rng.uniform(0.96, 0.98)))).quantize(Decimal(1), ROUND_HALF_UP)
    common = {"fund": fund, "kind": "conversion", "entry_date": today, "rate_date": today, "rate_source": "nbt",
              "eur_rate": eur, "channel": "cash", "counterparty": "Саррофи бозор (money changer)",
              "note": f"Exchanged {sold} RUB for {bought} TJS", "created_by": treasurer, "approved_by": officer}
    out_tjs = (sold * rub).quantize(CENT, ROUND_HALF_UP)
    outflow = LedgerEntry(amount=Money(sold, "RUB"), rate=rub, amount_tjs=-out_tjs,
                          amount_eur=-(out_tjs / eur).quantize(CENT, ROUND_HALF_UP), **common)
    sequence, last_hash = _chain(outflow, association, sequence, last_hash, tz)
    LedgerEntry.objects.bulk_create([outflow])
    inflow = LedgerEntry(amount=Money(bought, "TJS"), rate=Decimal(1), amount_tjs=bought,
                         amount_eur=(bought / eur).quantize(CENT, ROUND_HALF_UP), transfer_pair=outflow, **common)
    sequence, last_hash = _chain(inflow, association, sequence, last_hash, tz)
    LedgerEntry.objects.bulk_create([inflow])
    ConversionRequest.objects.create(
        association=association, fund=fund, sold=Money(sold, "RUB"), bought=Money(bought, "TJS"),
        rate_obtained=(bought / sold).quantize(Decimal("0.00000001")), entry_date=today, channel="cash",
        counterparty=common["counterparty"], status="approved", requested_by=treasurer, decided_by=officer,
        decided_at=inflow.posted_at, outflow=outflow, inflow=inflow)
    return sequence, last_hash, 2


def _chain(entry, association, sequence, last_hash, tz):
    sequence += 1
    entry.association = association
    entry.sequence = sequence
    entry.posted_at = datetime.combine(entry.entry_date, time(15, 0), tzinfo=tz) + timedelta(seconds=sequence)
    entry.previous_hash = last_hash
    entry.hash = entry_digest(entry, last_hash)
    return sequence, entry.hash
