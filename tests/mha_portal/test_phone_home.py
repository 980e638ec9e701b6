"""The home page lists each role's work, through the user's scope."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from associations.models import Meeting
from mha_portal.idempotency import new_key
from remittances import services
from remittances.models import LedgerEntry, PostingRequest
from tests.factories import make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db


def _grant_request(user, association, amount="500", counterparty="EU matching"):
    """A grant (money in) from the treasurer, waiting for the second signature."""
    return services.posting_request_create(
        user=user, fund=services.general_fund(association), kind="grant", amount=amount, currency="TJS",
        entry_date=timezone.localdate(), counterparty=counterparty, purpose="Match",
        idempotency_key=new_key())


@pytest.fixture
def requests_in_two_jamoats(world):
    make_rates(days=5)
    treasurer_b = make_treasurer(world.association_b, "treasurer-b")
    first = _grant_request(world.treasurer_a, world.association_a, counterparty="Water pipe A")
    second = _grant_request(treasurer_b, world.association_b, counterparty="School roof B")
    return first, second, treasurer_b


def test_officer_queue_lists_requests_of_other_jamoats_oldest_first(world, requests_in_two_jamoats, client_for):
    first, second, _ = requests_in_two_jamoats
    PostingRequest.objects.filter(pk=second.pk).update(requested_at=first.requested_at - timedelta(days=2))
    page = client_for(world.officer).get(reverse("home")).content.decode()
    assert "Water pipe A" in page and "School roof B" in page
    assert page.index("School roof B") < page.index("Water pipe A")
    assert reverse("work-decide", args=["posting", second.pk, "approve"]) in page


def test_approving_from_the_queue_posts_the_entry(world, requests_in_two_jamoats, client_for):
    _, second, _ = requests_in_two_jamoats
    client = client_for(world.officer)
    response = client.post(reverse("work-decide", args=["posting", second.pk, "approve"]))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    second.refresh_from_db()
    assert second.status == "approved"
    assert LedgerEntry.objects.filter(pk=second.entry_id, association=world.association_b).exists()
    assert "School roof B" not in client.get(reverse("home")).content.decode()


def test_treasurer_sees_only_own_associations_requests(world, requests_in_two_jamoats, client_for):
    _, second, treasurer_b = requests_in_two_jamoats
    # A second treasurer of A is the other signature for A's request, never for B's.
    cosigner = make_treasurer(world.association_a, "cosigner-a")
    page = client_for(cosigner).get(reverse("home")).content.decode()
    assert "Water pipe A" in page
    assert "School roof B" not in page
    response = client_for(cosigner).post(reverse("work-decide", args=["posting", second.pk, "approve"]))
    assert response.status_code == 404
    second.refresh_from_db()
    assert second.status == "pending"


def test_outsider_and_other_staff_never_see_requests(world, requests_in_two_jamoats, client_for):
    for user in (world.outsider, world.staff_a, world.staff_b):
        page = client_for(user).get(reverse("home")).content.decode()
        assert "Water pipe A" not in page and "School roof B" not in page
    first, _, _ = requests_in_two_jamoats
    assert client_for(world.outsider).post(
        reverse("work-decide", args=["posting", first.pk, "approve"])).status_code == 404


def test_menu_counts_what_waits_for_the_officer(world, requests_in_two_jamoats, client_for):
    from mha_portal.work import forget_count

    forget_count(world.officer)
    page = client_for(world.officer).get(reverse("reports:dashboard")).content.decode()
    assert '<span class="nav-count">2<span class="visually-hidden">' in page


def test_home_menu_counts_the_list_it_shows_without_counting_again(world, requests_in_two_jamoats, client_for,
                                                                   django_assert_max_num_queries):
    """The home page lists the decisions and the menu beside it shows their number: one reading
    of the requests, not a list and then five COUNT queries for the menu (issue 16)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mha_portal.work import forget_count, home_count

    first, _, treasurer_b = requests_in_two_jamoats
    _grant_request(treasurer_b, world.association_b, counterparty="Bridge B")
    forget_count(world.officer)
    client = client_for(world.officer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("home")).content.decode()
    assert '<span class="nav-count">3<span class="visually-hidden">' in page
    assert "Water pipe A" in page and "Bridge B" in page
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")
                and "remittances_postingrequest" in q["sql"]]
    # The next page's menu uses the remembered number; a decision taken forgets it.
    with django_assert_max_num_queries(0):
        assert home_count(world.officer) == 3
    client.post(reverse("work-decide", args=["posting", first.pk, "reject"]))
    assert '<span class="nav-count">2<span class="visually-hidden">' in client.get(
        reverse("reports:dashboard")).content.decode()


def test_treasurer_home_has_quick_form_meeting_and_quiet_households(world, client_for):
    make_rates(days=5)
    paid = make_household(world.village_a, member_of=world.association_a)
    quiet = make_household(world.village_a, member_of=world.association_a)
    contribute(world.treasurer_a, world.association_a, paid, "100")
    Meeting.objects.create(association=world.association_a, date=timezone.localdate())
    page = client_for(world.treasurer_a).get(reverse("home")).content.decode()
    assert f'action="{reverse("remittances:mha", args=[world.association_a.pk])}"' in page
    assert reverse("remittances:reconciliation", args=[world.association_a.pk]) in page
    assert reverse("households:detail", args=[quiet.pk]) in page
    assert reverse("households:detail", args=[paid.pk]) not in page


def test_staff_home_lists_todays_session_and_follow_ups(world, client_for):
    from tests.training.factories import ConsultationFactory, SessionFactory

    session = SessionFactory(jamoat=world.jamoat_a, date=timezone.localdate())
    other = SessionFactory(jamoat=world.jamoat_b, date=timezone.localdate())
    consultation = ConsultationFactory(jamoat=world.jamoat_a, outcome="follow_up", person_name="Одина Саидова")
    page = client_for(world.staff_a).get(reverse("home")).content.decode()
    assert reverse("training:session-detail", args=[session.pk]) in page
    assert reverse("training:session-detail", args=[other.pk]) not in page
    assert reverse("training:consultation-edit", args=[consultation.pk]) in page


def test_manual_rate_of_another_officer_waits_in_the_queue_and_is_approved_from_it(world, client_for):
    from datetime import date

    from remittances.models import ExchangeRate
    from tests.factories import make_officer

    colleague = make_officer("officer-2")
    rate = services.exchange_rate_enter(user=colleague, currency="USD", on=date(2026, 1, 5), rate="11,40",
                                        idempotency_key=new_key())
    client = client_for(world.officer)
    page = client.get(reverse("home")).content.decode()
    decide = reverse("remittances:rate-decide", args=[rate.pk, "approve"])
    assert f'action="{decide}"' in page
    assert f'action="{decide}"' not in client_for(colleague).get(reverse("home")).content.decode()
    client_for(world.officer).post(decide)
    assert ExchangeRate.objects.get(pk=rate.pk).status == "approved"
