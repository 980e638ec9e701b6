"""Memberships, meetings and what a treasurer sees of the households of their MHA."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from associations import services
from associations.models import Meeting, Membership
from households.models import Household, Member
from mha_portal.idempotency import new_key
from tests.remittances.factories import make_household

pytestmark = pytest.mark.django_db


def test_one_active_membership_per_household_and_association(world):
    household = make_household(world.village_a)
    services.membership_join(user=world.treasurer_a, association=world.association_a, household=household,
                             joined=date(2024, 1, 1))
    with pytest.raises(ValidationError, match="already a member"):
        services.membership_join(user=world.treasurer_a, association=world.association_a, household=household,
                                 joined=date(2024, 2, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(association=world.association_a, household=household, joined=date(2024, 3, 1))


def test_household_of_another_jamoat_cannot_join(world):
    with pytest.raises(ValidationError, match="another jamoat"):
        services.membership_join(user=world.treasurer_a, association=world.association_a,
                                 household=make_household(world.village_b), joined=date(2024, 1, 1))


def test_leaving_then_rejoining_keeps_the_history(world):
    household = make_household(world.village_a, member_of=world.association_a, joined=date(2023, 1, 1))
    membership = household.memberships.get()
    with pytest.raises(ValidationError, match="before it joined"):
        services.membership_leave(user=world.treasurer_a, membership=membership, left=date(2022, 1, 1))
    services.membership_leave(user=world.treasurer_a, membership=membership, left=date(2024, 1, 1))
    services.membership_join(user=world.treasurer_a, association=world.association_a, household=household,
                             joined=date(2024, 6, 1))
    assert household.memberships.count() == 2


def test_treasurer_reads_member_households_only_and_cannot_change_them(world):
    member = make_household(world.village_a, member_of=world.association_a)
    make_household(world.village_a)
    visible = Household.objects.visible_to(world.treasurer_a)
    assert list(visible) == [member]
    assert not Household.objects.editable_by(world.treasurer_a).exists()
    assert Member.objects.visible_to(world.treasurer_a).filter(household=member).count() == 1
    assert not Household.objects.visible_to(world.staff_b).exists()


def test_meeting_retry_with_same_key_records_one_meeting(world):
    present = make_household(world.village_a, member_of=world.association_a)
    key = new_key()
    for _ in range(2):
        services.meeting_record(user=world.treasurer_a, association=world.association_a,
                                meeting_date=date(2025, 3, 1), attendees=[present], idempotency_key=key)
    assert Meeting.objects.count() == 1
    outsider_household = make_household(world.village_a)
    with pytest.raises(ValidationError, match="Only member households"):
        services.meeting_record(user=world.treasurer_a, association=world.association_a,
                                meeting_date=date(2025, 4, 1), attendees=[outsider_household],
                                idempotency_key=new_key())


def test_association_pages_scope_and_forms(world, client_for):
    household = make_household(world.village_a)
    url = f"/associations/{world.association_a.pk}/"
    assert client_for(world.staff_b).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.staff_a).post(url, {"household": household.pk, "joined": "2024-01-01"}).status_code == 403
    treasurer = client_for(world.treasurer_a)
    treasurer.post(url, {"household": household.pk, "joined": "2024-01-01"})
    assert household.memberships.filter(association=world.association_a).exists()
    data = {"date": "2025-01-10", "attendees": [household.pk], "minutes": "Ҷаласа", "idempotency_key": new_key()}
    treasurer.post(f"{url}meetings/new/", data)
    treasurer.post(f"{url}meetings/new/", data)
    assert Meeting.objects.count() == 1
    body = treasurer.get(url).content.decode()
    assert household.code in body and "households present: 1" in body
    membership = household.memberships.get()
    treasurer.post(f"/associations/memberships/{membership.pk}/leave/", {"left": "2025-02-01"})
    membership.refresh_from_db()
    assert membership.left == date(2025, 2, 1)
    assert client_for(world.officer).get("/associations/").status_code == 200
