"""Generate a national-scale programme for the report benchmark: by default 400 jamoats,
400,000 households and 5,000,000 ledger entries with valid hash chains, plus training
completions and projects. Everything lives under its own region ("national-bench") and is made
once: a second run finds it and does nothing.

Rows are streamed to PostgreSQL with COPY; ledger hashes are computed with the ledger's own
`entry_digest`, so the report's integrity statement walks real chains.
"""

import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from associations.models import Association
from communities.models import District, Enrolment, Facility, Jamoat, Programme, Region, ResourceCentre, Village
from households.models import Household, Member
from households.services import build_search_text
from remittances.chain import entry_digest
from remittances.models import Fund, LedgerBook, LedgerEntry
from remittances.services import book_totals_rebuild
from reports import demo
from reports.summaries import summaries_rebuild
from training.completions import completions_rebuild
from training.models import Attendance, Category, TrainingModule, TrainingSession

REGION_CODE = "national-bench"
CENT = Decimal("0.01")
RATES = {"TJS": Decimal("1"), "RUB": Decimal("0.173"), "USD": Decimal("11.40"), "EUR": Decimal("12.21")}
EUR_RATE = RATES["EUR"]
FIRST_DAY = date(2025, 1, 1)
# Heads' surnames, Tajik Cyrillic (the household search folds them to Latin too).
SURNAMES = ["Раҳимов", "Каримов", "Назаров", "Саидов", "Шарипов", "Раҷабов", "Юсупов", "Алиев", "Ҳасанов",
            "Қодиров", "Мирзоев", "Давлатов", "Сафаров", "Ғафуров", "Нуриддинов", "Ҷӯраев", "Одинаев",
            "Холов", "Бобоев", "Ашуров", "Зоиров", "Иброҳимов", "Латифов", "Маҳмудов", "Неъматов"]
FIRST_NAME = "Ҷамшед"


def _copy(model, rows, fields: list[str]) -> None:
    """COPY rows (tuples in `fields` order) into the model's table, in chunks."""
    columns = ", ".join(model._meta.get_field(name).column for name in fields)
    buffer, count = io.StringIO(), 0
    with connection.cursor() as cursor:
        for row in rows:
            buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
            count += 1
            if count % 200_000 == 0:
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {model._meta.db_table} ({columns}) FROM STDIN", buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        cursor.cursor.copy_expert(f"COPY {model._meta.db_table} ({columns}) FROM STDIN", buffer)


def national_programme() -> Programme:
    """The demo logframe's programme with every national jamoat enrolled, so that an officer of
    it sees the whole national data set (its dashboard is the one the benchmark loads)."""
    demo.seed_logframes()
    programme = Programme.objects.get(code=demo.PROGRAMME["code"])
    enrolled = set(programme.enrolments.values_list("jamoat_id", flat=True))
    Enrolment.objects.bulk_create([
        Enrolment(programme=programme, jamoat_id=pk, enrolled_on=FIRST_DAY)
        for pk in Jamoat.objects.filter(district__region__code=REGION_CODE).values_list("pk", flat=True)
        if pk not in enrolled])
    return programme


class Command(BaseCommand):
    help = "Generate the national-scale benchmark programme (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--jamoats", type=int, default=400)
        parser.add_argument("--households", type=int, default=400_000)
        parser.add_argument("--entries", type=int, default=5_000_000)

    def handle(self, *args, jamoats: int, households: int, entries: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The national data set needs PostgreSQL (it is loaded with COPY).")
        if Region.objects.filter(code=REGION_CODE).exists():
            national_programme()
            self.stdout.write("National data already present.")
            return
        rng = random.Random(400)
        with transaction.atomic():
            places = self._places(jamoats)
            self._households(places, households // jamoats)
            self._training(places, rng)
            self._ledger(places, entries // jamoats, rng)
            national_programme()
        # COPY and bulk_create wrote past the services: the summary tables are made from the raw rows, once
        # the planner knows the tables are no longer empty (without statistics it loops over 5 M rows).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        summaries_rebuild()
        completions_rebuild()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"Made {jamoats} jamoats, {households} households, {entries} ledger entries.")

    def _places(self, count: int) -> list[dict]:
        region = Region.objects.create(code=REGION_CODE, name="National benchmark")
        districts = District.objects.bulk_create([District(region=region, name=f"NB district {d:02d}")
                                                  for d in range(count // 10)])
        jamoat_rows = Jamoat.objects.bulk_create([Jamoat(district=districts[i % len(districts)],
                                                         name=f"NB jamoat {i:03d}") for i in range(count)])
        villages = Village.objects.bulk_create([Village(jamoat=j, name=f"NB village {j.name[-3:]}")
                                                for j in jamoat_rows])
        centres = ResourceCentre.objects.bulk_create([ResourceCentre(jamoat=j, name=f"{j.name} JRC",
                                                                     opened=FIRST_DAY) for j in jamoat_rows])
        Facility.objects.bulk_create([Facility(centre=c, kind=kind, status=Facility.Status.OPERATIONAL,
                                               installed_on=FIRST_DAY + timedelta(days=30))
                                      for c in centres for kind in (Facility.Kind.INTERNET_CAFE,
                                                                    Facility.Kind.TELEPHONY)])
        associations = Association.objects.bulk_create([Association(jamoat=j, name=f"MHA {j.name}",
                                                                    founded=FIRST_DAY) for j in jamoat_rows])
        general = Fund.objects.bulk_create([Fund(association=a, kind=Fund.Kind.GENERAL, code="general",
                                                 name="General fund") for a in associations])
        business = Fund.objects.bulk_create([Fund(association=a, kind=Fund.Kind.BUSINESS, code="coop",
                                                  name="Cooperative") for a in associations])
        return [{"jamoat": j, "village": v, "association": a, "funds": (g, b)}
                for j, v, a, g, b in zip(jamoat_rows, villages, associations, general, business, strict=True)]

    def _households(self, places: list[dict], per_jamoat: int) -> None:
        _copy(Household, ((f"NB-{p['jamoat'].pk}-{n:05d}", p["village"].pk, "active", "", "", "", "", "",
                           datetime.now(UTC).isoformat(), datetime.now(UTC).isoformat())
                          for p in places for n in range(per_jamoat)),
              ["code", "village", "status", "address", "phone", "notes", "search_text", "idempotency_fingerprint",
               "created_at", "updated_at"])
        # One head per household, the surnames spread as in a real registry (a search for one finds
        # about 1 household in len(SURNAMES)), with the search text and head the services keep.
        texts = [build_search_text(Household(code=""), [Member(last_name=last, first_name=FIRST_NAME)])
                 for last in SURNAMES]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Member._meta.db_table} (household_id, last_name, first_name, patronymic, sex, "
                "birth_year, relation, education, phone) SELECT h.id, (%s::text[])[h.id %% %s + 1], %s, '', "
                "CASE WHEN h.id %% 2 = 0 THEN 'F' ELSE 'M' END, 1980, 'head', '', '' "
                f"FROM {Household._meta.db_table} h WHERE h.code LIKE 'NB-%%'", [SURNAMES, len(SURNAMES), FIRST_NAME])
            cursor.execute(
                f"UPDATE {Household._meta.db_table} h SET head_id = m.id, search_text = lower(h.code) || names.text "
                f"FROM {Member._meta.db_table} m JOIN unnest(%s::text[], %s::text[]) AS names (last_name, text) "
                "ON names.last_name = m.last_name WHERE m.household_id = h.id AND h.code LIKE 'NB-%%'",
                [SURNAMES, texts])
        for place in places:
            place["households"] = list(Household.objects.filter(village=place["village"])
                                       .values_list("pk", flat=True)[:50])

    def _training(self, places: list[dict], rng) -> None:
        modules = [TrainingModule.objects.create(
            code=f"nb-{category}", title=f"National {category}", category=category, description="Benchmark",
            audiences=["households"], languages=["tg"], sessions_required=1, developed_on=FIRST_DAY,
            published_on=FIRST_DAY + timedelta(days=20)) for category in (Category.FINANCIAL, Category.BUSINESS)]
        sessions = TrainingSession.objects.bulk_create([
            TrainingSession(module=module, jamoat=p["jamoat"], trainer="Trainer", venue="JRC",
                            date=date(2026, 3, 1) + timedelta(days=rng.randint(0, 200)))
            for p in places for module in modules])
        members = dict(Member.objects.filter(household__code__startswith="NB-").values_list("household_id", "pk"))
        by_jamoat = {p["jamoat"].pk: p for p in places}
        attendances = []
        for session in sessions:
            for household_id in by_jamoat[session.jamoat_id]["households"]:
                attendances.append(Attendance(session=session, member_id=members[household_id]))
        Attendance.objects.bulk_create(attendances, batch_size=5000)

    def _ledger(self, places: list[dict], per_association: int, rng) -> None:
        user, _ = get_user_model().objects.get_or_create(username="national-bench-treasurer")
        fields = ["association", "fund", "sequence", "kind", "entry_date", "posted_at", "amount",
                  "amount_currency", "rate", "rate_date", "rate_source", "eur_rate", "amount_tjs", "amount_eur",
                  "channel", "receipt_number", "payer", "counterparty", "reference", "note", "created_by",
                  "previous_hash", "hash", "idempotency_fingerprint"]
        posted = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
        books = []

        def rows():
            for place in places:
                previous = ""
                association = place["association"]
                for sequence in range(1, per_association + 1):
                    currency = ("RUB", "RUB", "RUB", "TJS", "USD", "EUR")[sequence % 6]
                    amount = Decimal(rng.randint(100, 5000))
                    tjs = (amount * RATES[currency]).quantize(CENT, rounding=ROUND_HALF_UP)
                    eur = (tjs / EUR_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
                    day = FIRST_DAY + timedelta(days=sequence * 690 // per_association)
                    entry = SimpleNamespace(
                        association_id=association.pk, sequence=sequence,
                        fund_id=place["funds"][sequence % 2].pk, kind="contribution", entry_date=day,
                        posted_at=posted + timedelta(seconds=sequence), amount=SimpleNamespace(
                            amount=amount, currency=currency), rate=RATES[currency], rate_date=day,
                        rate_source="nbt", eur_rate=EUR_RATE, amount_tjs=tjs, amount_eur=eur, channel="cash",
                        receipt_number=sequence, payer_id=place["households"][sequence % 50], migrant_id=None,
                        counterparty="", reference="", note="", reverses_id=None, transfer_pair_id=None,
                        created_by_id=user.pk, approved_by_id=None)
                    digest = entry_digest(entry, previous)
                    yield (entry.association_id, entry.fund_id, sequence, "contribution", day.isoformat(),
                           entry.posted_at.isoformat(), f"{amount:.2f}", currency, f"{entry.rate:.6f}",
                           day.isoformat(), "nbt", f"{EUR_RATE:.6f}", f"{tjs:.2f}", f"{eur:.2f}", "cash", sequence,
                           entry.payer_id, "", "", "", user.pk, previous, digest, "")
                    previous = digest
                books.append(LedgerBook(association=association, last_sequence=per_association,
                                        last_receipt=per_association, last_hash=previous))

        _copy(LedgerEntry, rows(), fields)
        LedgerBook.objects.bulk_create(books)
        book_totals_rebuild()
