"""The ledger API: same rules as the pages, idempotent creates, 4xx never 500, scoped reads."""

import pytest
from django.utils import timezone

from households.models import Household
from mha_portal.idempotency import new_key
from remittances.models import LedgerEntry
from tests.factories import make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db
URL = "/api/v1/ledger-entries/"


@pytest.fixture
def payer(world):
    make_rates()
    return make_household(world.village_a, member_of=world.association_a)


def _body(world, household, **overrides):
    body = {"kind": "contribution", "association": world.association_a.pk, "payer": household.pk,
            "amount": "1 234,50", "currency": "RUB", "entry_date": timezone.localdate().isoformat(),
            "channel": "cash"}
    body.update(overrides)
    return body


def test_contribution_posted_once_per_idempotency_key(world, payer, api_for):
    api, key = api_for(world.treasurer_a), new_key()
    first = api.post(URL, _body(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.json()
    assert first.json()["amount"] == "1234.50" and first.json()["receipt_number"] == 1
    retry = api.post(URL, _body(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    other = api.post(URL, _body(world, payer, amount="99"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422
    assert LedgerEntry.objects.count() == 1


def test_create_without_idempotency_key_is_refused(world, payer, api_for):
    response = api_for(world.treasurer_a).post(URL, _body(world, payer), format="json")
    assert response.status_code == 400 and "Idempotency-Key" in str(response.json())


@pytest.mark.parametrize("overrides", [
    {"amount": "0"}, {"amount": "-10"}, {"amount": "abc"}, {"currency": "GBP"},
    {"entry_date": "2999-01-01"}, {"entry_date": "2001-01-01"}, {"payer": 999999}, {"fund": 999999},
    {"kind": "disbursement", "counterparty": "X", "purpose": "Y", "amount": "100000"},
    {"amount": "1\x00"},
])
def test_bad_input_answers_4xx_and_writes_nothing(world, payer, api_for, overrides):
    response = api_for(world.treasurer_a).post(URL, _body(world, payer, **overrides), format="json",
                                               HTTP_IDEMPOTENCY_KEY=new_key())
    assert 400 <= response.status_code < 500, response.content
    assert LedgerEntry.objects.count() == 0


def test_payer_who_is_not_a_member_is_refused_with_a_message(world, payer, api_for):
    stranger = make_household(world.village_a)
    response = api_for(world.treasurer_a).post(URL, _body(world, payer, payer=stranger.pk), format="json",
                                               HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 400 and "not a member" in str(response.json())


def test_a_payer_out_of_scope_reads_like_a_missing_one(world, payer, api_for):
    """Another MHA's member household and an id that does not exist get the same answer, so a
    treasurer learns nothing about households outside their scope."""
    theirs = make_household(world.village_b, member_of=world.association_b)
    missing = Household.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    answers = [api_for(world.treasurer_a).post(URL, _body(world, payer, payer=pk), format="json",
                                               HTTP_IDEMPOTENCY_KEY=new_key()) for pk in (theirs.pk, missing)]
    assert [answer.status_code for answer in answers] == [400, 400]
    assert answers[0].json() == answers[1].json() and "not a member" in str(answers[0].json())
    assert LedgerEntry.objects.count() == 0


@pytest.mark.parametrize("has_general_fund", [False, True])
def test_treasurer_cannot_post_in_an_association_outside_their_scope(world, payer, api_for, has_general_fund):
    from remittances.services import general_fund

    if has_general_fund:  # found with its MHA in one query, when it exists: still out of scope
        general_fund(world.association_b)
    response = api_for(world.treasurer_a).post(URL, _body(world, payer, association=world.association_b.pk),
                                               format="json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 404
    assert LedgerEntry.objects.count() == 0


def test_staff_read_their_jamoats_entries_but_cannot_post(world, payer, api_for):
    entry = contribute(world.treasurer_a, world.association_a, payer)
    assert api_for(world.staff_a).get(f"{URL}{entry.pk}/").status_code == 200
    assert api_for(world.staff_b).get(f"{URL}{entry.pk}/").status_code == 404
    assert api_for(world.outsider).get(URL).json()["results"] == []
    posted = api_for(world.staff_a).post(URL, _body(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert posted.status_code == 403


def test_reversal_is_its_own_action_and_needs_a_second_person(world, payer, api_for):
    entry = contribute(world.treasurer_a, world.association_a, payer, "100")
    api = api_for(world.treasurer_a)
    requested = api.post(f"{URL}{entry.pk}/reverse/", {"reason": "Wrong payer"}, format="json",
                         HTTP_IDEMPOTENCY_KEY=new_key())
    assert requested.status_code == 201
    url = f"/api/v1/reversal-requests/{requested.json()['id']}/approve/"
    assert api.post(url).status_code == 400
    approved = api_for(make_treasurer(world.association_a, "treasurer-a2")).post(url)
    assert approved.status_code == 201 and approved.json()["reverses"] == entry.pk


def test_memberships_and_meetings_are_scoped(world, payer, api_for):
    assert api_for(world.treasurer_a).get("/api/v1/memberships/").json()["count"] == 1
    assert api_for(world.staff_b).get("/api/v1/memberships/").json()["count"] == 0
    other = make_household(world.village_a)
    response = api_for(world.treasurer_a).post("/api/v1/memberships/", {
        "association": world.association_a.pk, "household": other.pk, "joined": "2024-01-01"}, format="json")
    assert response.status_code == 201
    again = api_for(world.treasurer_a).post("/api/v1/memberships/", {
        "association": world.association_a.pk, "household": other.pk, "joined": "2024-01-01"}, format="json")
    assert again.status_code == 400 and "already a member" in str(again.json())
    meeting = api_for(world.treasurer_a).post("/api/v1/meetings/", {
        "association": world.association_a.pk, "date": "2025-05-01", "attendees": [payer.pk, other.pk]},
        format="json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert meeting.status_code == 201 and len(meeting.json()["attendees"]) == 2


@pytest.mark.parametrize("endpoint", ["associations", "memberships", "meetings", "ledger-entries",
                                      "posting-requests", "reversal-requests"])
def test_every_list_is_limited_to_the_users_scope(world, payer, api_for, endpoint):
    from associations.services import meeting_record
    from remittances import services

    other = make_household(world.village_b, member_of=world.association_b)
    treasurer_b = make_treasurer(world.association_b)
    for treasurer, association, household in ((world.treasurer_a, world.association_a, payer),
                                              (treasurer_b, world.association_b, other)):
        entry = contribute(treasurer, association, household, "500")
        meeting_record(user=treasurer, association=association, meeting_date=timezone.localdate(),
                       attendees=[household], idempotency_key=new_key())
        services.disbursement_request(user=treasurer, fund=entry.fund, amount="10", currency="TJS",
                                      entry_date=timezone.localdate(), counterparty="X", purpose="Y",
                                      idempotency_key=new_key())
        services.reversal_request_create(user=treasurer, entry=entry, reason="Test", idempotency_key=new_key())
    url = f"/api/v1/{endpoint}/"
    field = "id" if endpoint == "associations" else "association"

    def associations_seen(user):
        return {row[field] for row in api_for(user).get(url).json()["results"]}

    assert associations_seen(world.treasurer_a) == {world.association_a.pk}
    assert associations_seen(world.staff_a) == {world.association_a.pk}
    assert associations_seen(world.staff_b) == {world.association_b.pk}
    assert associations_seen(world.outsider) == set()
    assert {world.association_a.pk, world.association_b.pk} <= associations_seen(world.officer)


def test_verification_code_finds_the_receipt_in_the_ledger(world, payer, client_for):
    entry = contribute(world.treasurer_a, world.association_a, payer, "77")
    contribute(world.treasurer_a, world.association_a, payer, "88")
    body = client_for(world.treasurer_a).get(f"/ledger/mha/{world.association_a.pk}/entries/",
                                             {"q": entry.verification_code}).content.decode()
    assert "77.00" in body and "88.00" not in body


def test_amount_too_large_once_converted_is_a_400(world, payer, api_for):
    response = api_for(world.treasurer_a).post(URL, _body(world, payer, amount="999 999 999 999,99", currency="USD"),
                                               format="json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 400 and "too large" in str(response.json())


def test_ledger_entries_come_newest_first_in_keyset_pages(world, payer, api_for, monkeypatch):
    """Following `next` visits every entry once, newest first, and no page counts the ledger."""
    from mha_portal.api import KeysetPagination

    # (DRF reads PAGE_SIZE once, when it is imported: the class attribute is what a page uses.)
    monkeypatch.setattr(KeysetPagination, "page_size", 2)
    made = [contribute(world.treasurer_a, world.association_a, payer, str(100 + n)).pk for n in range(5)]
    api, seen, url = api_for(world.treasurer_a), [], URL
    while url:
        page = api.get(url).json()
        assert "count" not in page
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted(made, reverse=True)


def test_schema_documents_keyset_pages_for_the_long_lists(world, api_for):
    schema = api_for(world.admin).get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/ledger-entries/", "/api/v1/households/"):
        listing = schema["paths"][path]["get"]
        assert "cursor" in {p["name"] for p in listing["parameters"]}
        name = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert set(schema["components"]["schemas"][name]["properties"]) == {"next", "previous", "results"}


@pytest.mark.postgres
def test_a_contribution_through_the_api_costs_a_fixed_number_of_queries(world, payer, django_assert_num_queries):
    """Where a posting's time goes (issue 16): the token is looked up once (the idempotency
    middleware's lookup is reused by the API), the scope is one query, the key is claimed in one
    statement, both exchange rates come in one. A replay costs the token, the claim and the stored answer only."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.treasurer_a).key}")
    api.post(URL, _body(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=new_key())  # the book exists
    key = new_key()
    # token, BEGIN, claim, scope, the treasurer's MHA and its general fund (by id: theirs), key,
    # savepoint, the payer among the MHA's members on the date, the rates (its currency's and the
    # euro's), book lock, entry (a duplicate key meets the unique index), jamoat lock, day total,
    # book, release, stored answer, COMMIT
    with django_assert_num_queries(18):
        first = api.post(URL, _body(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.json()
    with django_assert_num_queries(5):  # token, BEGIN, claim (taken), the stored answer, COMMIT
        replay = api.post(URL, _body(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert LedgerEntry.objects.filter(payer=payer).count() == 2


@pytest.mark.postgres
def test_every_ledger_index_is_one_a_query_needs(db):
    """Each index is one more write per posting on a ledger of millions of rows. None may be the
    leading columns of another (whatever could use it uses the longer one), and the idempotency
    key is looked up whole, through its unique index, never with LIKE."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexrelid::regclass::text, indkey::text, indisunique, pg_get_indexdef(indexrelid) "
                       "FROM pg_index WHERE indrelid = %s::regclass", [LedgerEntry._meta.db_table])
        indexes = cursor.fetchall()
    assert len(indexes) >= 10
    for name, columns, unique, definition in indexes:
        assert "pattern_ops" not in definition, definition
        longer = [other for other, other_columns, *_rest in indexes
                  if other != name and f"{other_columns} ".startswith(f"{columns} ")]
        assert unique or not longer, f"{name} is the start of {longer}"


def _rows_removed_by_filter(plan: dict) -> int:
    return plan.get("Rows Removed by Filter", 0) + sum(_rows_removed_by_filter(p) for p in plan.get("Plans", []))


@pytest.mark.postgres
def test_a_treasurer_s_page_reads_no_other_mha_s_entries_even_when_theirs_are_old(world, payer, api_for):
    """The treasurer of an MHA whose entries were all older than the others' waited 16 s for the
    first page of a national ledger: PostgreSQL walked the newest entries backwards, passing
    every other MHA's. Here the planner may not sort (at national scale its statistics made the
    walk look cheaper than a sort), and the page still reads none of the other MHA's entries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mine = [contribute(world.treasurer_a, world.association_a, payer).pk for _ in range(3)]
    theirs = make_household(world.village_b, member_of=world.association_b)
    treasurer_b = make_treasurer(world.association_b, "treasurer-b")
    for _ in range(60):
        contribute(treasurer_b, world.association_b, theirs)
    with CaptureQueriesContext(connection) as queries:
        page = api_for(world.treasurer_a).get(URL).json()
    assert [row["id"] for row in page["results"]] == mine[::-1] and page["next"] is None
    plan = _listing_plan(queries)
    assert _rows_removed_by_filter(plan) == 0 and _ledger_rows_read(plan) == 2 * len(mine), plan


def _ledger_rows_read(plan: dict) -> int:
    """Entries the plan's scans of the ledger read, kept or not."""
    here = 0
    if plan.get("Relation Name") == "remittances_ledgerentry":
        here = (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * plan["Actual Loops"]
    return here + sum(_ledger_rows_read(p) for p in plan.get("Plans", []))


def _plan(sql: str) -> dict:
    """The query's plan as run, the planner barred from sorting (at national scale its statistics
    made walking the primary key look cheaper than a sort)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        return cursor.fetchone()[0][0]["Plan"]


def _listing_plan(queries) -> dict:
    return _plan(next(q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"]
                      and "ledgerentry" in q["sql"] and "LIMIT" in q["sql"] and "COUNT(" not in q["sql"]))


@pytest.mark.postgres
def test_the_officer_of_a_small_programme_reads_no_other_programme_s_entries(world, payer, api_for, monkeypatch):
    """The officer of a programme of five jamoats whose entries were all old waited 2 s for the
    first page of the national ledger (PostgreSQL walked the others' newer entries). Their page
    is not among the newest rows (here the next 10), so it is read by id: the page reads their
    entries only (the walk read all 60 others), and every read of the ledger is bounded."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mha_portal.api import KeysetPagination
    from tests.factories import make_officer, make_programme_with

    monkeypatch.setattr(KeysetPagination, "probe_rows", 10)
    mine = [contribute(world.treasurer_a, world.association_a, payer).pk for _ in range(3)]
    theirs = make_household(world.village_b, member_of=world.association_b)
    treasurer_b = make_treasurer(world.association_b, "treasurer-b")
    for _ in range(60):
        contribute(treasurer_b, world.association_b, theirs)
    small = make_officer("officer-small", make_programme_with(code="small", jamoats=[world.jamoat_a]))
    with CaptureQueriesContext(connection) as queries:
        page = api_for(small).get(URL).json()
    assert [row["id"] for row in page["results"]] == mine[::-1] and page["next"] is None
    assert _ledger_rows_read(_listing_plan(queries)) == len(mine)
    ledger_reads = [q["sql"] for q in queries.captured_queries if "ledgerentry" in q["sql"]]
    assert len(ledger_reads) == 3 and all("LIMIT" in sql for sql in ledger_reads), ledger_reads


@pytest.mark.postgres
@pytest.mark.parametrize("read_by_id_at_most", [100, 3])
def test_an_officer_walks_when_the_next_rows_hold_the_page_and_reads_by_id_past_them(world, payer, api_for,
                                                                                    monkeypatch, read_by_id_at_most):
    """Pages of 2 and a probe of the next 4 rows: the officer's newest entries lie among the newest
    rows (the walk finds them), their older ones behind a run of another programme's entries: read
    by id, unless more of theirs are left than a page may sort (then walked). Either way,
    following `next` and then `previous` gives every entry once, in order."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mha_portal.api import KeysetPagination
    from tests.factories import make_officer, make_programme_with

    monkeypatch.setattr(KeysetPagination, "page_size", 2)
    monkeypatch.setattr(KeysetPagination, "probe_rows", 4)
    monkeypatch.setattr(KeysetPagination, "read_by_id_at_most", read_by_id_at_most)
    theirs = make_household(world.village_b, member_of=world.association_b)
    treasurer_b = make_treasurer(world.association_b, "treasurer-b")
    old = [contribute(world.treasurer_a, world.association_a, payer).pk for _ in range(3)]
    for _ in range(8):
        contribute(treasurer_b, world.association_b, theirs)
    new = [contribute(world.treasurer_a, world.association_a, payer).pk for _ in range(3)]
    officer = make_officer("officer-small", make_programme_with(code="small", jamoats=[world.jamoat_a]))
    api, url, pages, read_by_id = api_for(officer), URL, [], []
    while url:
        with CaptureQueriesContext(connection) as queries:
            page = api.get(url).json()
        pages.append(page)
        read_by_id.append(any(re.search(r'"remittances_ledgerentry"\."id" = (ANY\(|\d)', q["sql"])
                              for q in queries.captured_queries))
        url = page["next"]
    assert [row["id"] for page in pages for row in page["results"]] == (old + new)[::-1]
    # The first page walks the newest rows; the second is past the other programme's run with
    # four of the officer's entries left, the last with one.
    assert read_by_id == [False, read_by_id_at_most >= 4, True]
    back = api.get(pages[-1]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[-2]["results"]]
