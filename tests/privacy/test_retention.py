"""Households that left the programme more than N years ago lose their personal data; the ledger
keeps its amounts and chain and the donor report its totals."""

from dataclasses import asdict
from datetime import date, timedelta

from django.core.management import call_command
from django.utils import timezone

from households.models import Household, Member, MigrationEpisode
from households.services import household_update
from privacy.models import AccessEvent
from remittances.chain import verify_chain
from remittances.models import LedgerEntry
from reports.computations import Window, computation_choices, compute
from reports.selectors import finance_summary
from tests.households.factories import make_household, send_abroad
from tests.remittances.factories import contribute, make_rates


def _donor_totals():
    today = timezone.localdate()
    finance = asdict(finance_summary(start=date(2000, 1, 1), end=today, jamoat_ids=None))
    actuals = {}
    for name, _label in computation_choices():
        actual = compute(name, Window(end=today))
        actuals[name] = None if actual is None else (actual.total, actual.by_jamoat, actual.by_sex)
    return finance, actuals


def _left_years_ago(household, years: int) -> None:
    Household.objects.filter(pk=household.pk).update(
        status=Household.Status.MOVED, left_on=timezone.localdate() - timedelta(days=365 * years + 2))


def test_pseudonymisation_keeps_the_ledger_chain_and_the_donor_totals(world, settings):
    from associations.models import Membership

    settings.RETENTION_YEARS = {**settings.RETENTION_YEARS, "household": 5}
    make_rates()
    gone = make_household(world.staff_a, world.village_a, phone="+992 93 412 55 66", others=[("Раҳимова", "Зарина")])
    send_abroad(world.staff_a, gone.head, city="Санкт-Петербург")
    recent = make_household(world.staff_a, world.village_a, head=("Саидов", "Фарҳод"))
    staying = make_household(world.staff_a, world.village_a, head=("Қодиров", "Алӣ"))
    for household in (gone, recent, staying):
        Membership.objects.create(association=world.association_a, household=household, joined=date(2020, 1, 1))
        contribute(world.treasurer_a, world.association_a, household, "250")
    contribute(world.treasurer_a, world.association_a, gone, "100", "RUB")
    _left_years_ago(gone, 6)
    _left_years_ago(recent, 2)
    entries_before = list(LedgerEntry.objects.order_by("pk").values("pk", "payer_id", "amount", "hash"))
    totals_before = _donor_totals()

    call_command("privacy_apply_retention", stdout=open("/dev/null", "w"))  # noqa: SIM115

    gone.refresh_from_db()
    assert gone.pseudonymised_at is not None and gone.phone == "" and gone.address == ""
    names = set(Member.objects.filter(household=gone).values_list("last_name", "first_name", "phone"))
    assert not any("Раҳимов" in last or first == "Ҷамшед" or phone for last, first, phone in names)
    trip = MigrationEpisode.objects.get(member__household=gone)
    assert (trip.destination_city, trip.legal_status) == ("", "unknown")
    # The history kept no earlier version with the names.
    assert not Member.history.filter(household_id=gone.pk, last_name="Раҳимов").exists()
    assert not Household.objects.filter(search_text__contains="rahimov", pk=gone.pk).exists()
    # The others are untouched.
    assert Member.objects.get(pk=recent.head_id).last_name == "Саидов"
    assert Member.objects.get(pk=staying.head_id).last_name == "Қодиров"
    # Ledger: the same rows, pointing at the same household, with the same hashes; chains intact.
    assert list(LedgerEntry.objects.order_by("pk").values("pk", "payer_id", "amount", "hash")) == entries_before
    assert verify_chain(world.association_a.pk).intact
    call_command("verify_ledger", stdout=open("/dev/null", "w"))  # noqa: SIM115 - exits 1 if broken
    assert _donor_totals() == totals_before
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.PSEUDONYMISED)
    assert event.object_ids == [gone.pk]
    # Running it again changes nothing more.
    call_command("privacy_apply_retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.PSEUDONYMISED).count() == 1


def test_leaving_the_programme_starts_the_retention_period(world):
    household = make_household(world.staff_a, world.village_a)
    assert household.left_on is None
    household = household_update(user=world.staff_a, household=household, status=Household.Status.CLOSED)
    assert household.left_on == timezone.localdate()
    household = household_update(user=world.staff_a, household=household, status=Household.Status.ACTIVE)
    assert household.left_on is None


def test_old_access_events_are_purged(world, settings):
    settings.RETENTION_YEARS = {**settings.RETENTION_YEARS, "access_event": 3}
    old = AccessEvent.objects.create(kind="page", record="households.household",
                                     at=timezone.now() - timedelta(days=365 * 3 + 5))
    new = AccessEvent.objects.create(kind="page", record="households.household")
    call_command("privacy_apply_retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(AccessEvent.objects.filter(pk__in=[old.pk, new.pk]).values_list("pk", flat=True)) == [new.pk]
