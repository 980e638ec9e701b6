"""The summary tables the dashboard reads agree with the ledger: kept current by the postings
themselves (back-dated entries, reversals, business funds, two jamoats), equal to a full
recomputation from the raw rows, and giving the same money as the ledger queries for any window."""

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mha_portal.idempotency import new_key
from remittances import services
from remittances.models import Fund
from reports.computations import Window, enterprise_contributions, remittances_for_enterprises_eur
from reports.models import LedgerDayTotal
from reports.selectors import finance_summary, raised_from_summaries
from reports.summaries import summaries_differences, summaries_rebuild
from tests.factories import make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def postings(world):
    """Money in two jamoats: several currencies, a business fund, an entry dated before others
    already posted, and a reversed contribution."""
    today = timezone.localdate()
    make_rates(days=60)
    payer_a = make_household(world.village_a, member_of=world.association_a)
    payer_b = make_household(world.village_b, member_of=world.association_b)
    treasurer_b = make_treasurer(world.association_b, username="treasurer-b")
    coop = services.fund_create(association=world.association_a, kind=Fund.Kind.BUSINESS, code="coop",
                                name="Cooperative")
    contribute(world.treasurer_a, world.association_a, payer_a, "1000", "TJS", on=today - timedelta(days=10))
    contribute(world.treasurer_a, world.association_a, payer_a, "2000", "RUB", fund=coop,
               on=today - timedelta(days=5))
    mistaken = contribute(world.treasurer_a, world.association_a, payer_a, "300", "RUB", fund=coop,
                          on=today - timedelta(days=5))
    contribute(world.treasurer_a, world.association_a, payer_a, "50", "EUR", on=today - timedelta(days=20))
    request = services.reversal_request_create(user=world.treasurer_a, entry=mistaken, reason="Typed twice",
                                               idempotency_key=new_key())
    services.reversal_approve(user=world.officer, request=request)
    contribute(treasurer_b, world.association_b, payer_b, "700", "USD", on=today)
    return today


def _stored() -> list[tuple]:
    return list(LedgerDayTotal.objects.order_by("jamoat_id", "currency", "business", "day").values_list(
        "jamoat_id", "day", "currency", "business", "original", "eur", "entries"))


def test_postings_keep_the_summaries_equal_to_a_recomputation(postings):
    assert summaries_differences() == []
    kept = _stored()
    assert kept  # the postings made rows
    summaries_rebuild()
    assert _stored() == kept


def test_summary_windows_give_the_ledger_money(world, postings):
    today = postings
    jamoats = frozenset(j.pk for j in world.jamoats)
    days = [today - timedelta(days=n) for n in (25, 20, 19, 10, 6, 5, 4, 0)]
    for start in days:
        for end in days:
            if end < start:
                continue
            for scope in (None, jamoats, frozenset([world.jamoat_b.pk])):
                ledger = finance_summary(start=start, end=end, jamoat_ids=scope)
                summary = raised_from_summaries(start=start, end=end, jamoat_ids=scope)
                assert [(r.currency, r.original, r.eur, r.entries) for r in summary.raised] == \
                       [(r.currency, r.original, r.eur, r.entries) for r in ledger.raised], (start, end, scope)
                window = Window(start=start, end=end, jamoat_ids=scope)
                by_jamoat = {}
                for entry in enterprise_contributions(window).select_related("association"):
                    jamoat = entry.association.jamoat_id
                    by_jamoat[jamoat] = by_jamoat.get(jamoat, 0) + entry.amount_eur
                assert remittances_for_enterprises_eur(window).by_jamoat == by_jamoat, (start, end, scope)
    # To date (no start): everything up to the end.
    assert raised_from_summaries(start=date(2000, 1, 1), end=today, jamoat_ids=None).raised_eur == \
           finance_summary(start=date(2000, 1, 1), end=today, jamoat_ids=None).raised_eur


def test_the_command_rebuilds_and_checks(postings, capsys):
    kept = _stored()
    LedgerDayTotal.objects.all().delete()
    with pytest.raises(CommandError):
        call_command("reports_summaries", "--check")
    call_command("reports_summaries")
    assert _stored() == kept
    call_command("reports_summaries", "--check")
    assert "agree" in capsys.readouterr().out


def test_dashboard_queries_do_not_grow_with_the_ledger(world, postings, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.officer)
    client.get("/reports/")  # the scope and the session are cached afterwards
    with CaptureQueriesContext(connection) as few:
        assert client.get("/reports/").status_code == 200
    payer = make_household(world.village_a, member_of=world.association_a)
    for days in range(12):
        contribute(world.treasurer_a, world.association_a, payer, "10", "RUB", on=postings - timedelta(days=days))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/reports/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_in_one_jamoat_keep_the_totals_exact():
    """Two MHAs of one jamoat posting at once, some entries back-dated: each posting's totals wait
    for the other's (the jamoat's advisory lock), so none is lost."""
    import threading

    from django.db import connection

    from associations.models import Association
    from tests.factories import build_world

    world = build_world()
    make_rates(days=30)
    today = timezone.localdate()
    second = Association.objects.create(jamoat=world.jamoat_a, name="Second MHA of Askalon")
    treasurer = make_treasurer(second, username="treasurer-second")
    payers = {world.association_a.pk: make_household(world.village_a, member_of=world.association_a),
              second.pk: make_household(world.village_a, member_of=second)}
    for association in (world.association_a, second):
        services.general_fund(association)  # made before the race, as an MHA's first posting would
    jobs = [(world.treasurer_a, world.association_a), (treasurer, second)] * 6
    barrier = threading.Barrier(len(jobs))
    errors = []

    def post(index, user, association):
        try:
            barrier.wait()
            contribute(user, association, payers[association.pk], "10", "RUB",
                       on=today - timedelta(days=index % 4))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, *job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert summaries_differences() == []
    assert LedgerDayTotal.objects.filter(jamoat=world.jamoat_a, day=today).get().entries == 12
