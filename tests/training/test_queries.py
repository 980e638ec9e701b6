"""The one-screen register and the session list cost the same number of queries whatever the
number of people or sessions (no query per row)."""

import pytest
from django.urls import reverse

from tests.training.factories import SessionFactory, members_in
from training import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("people", [3, 40])
def test_attendance_register_query_count_does_not_grow_with_the_roster(world, client_for, people,
                                                                       django_assert_num_queries):
    session = SessionFactory(jamoat=world.jamoat_a)
    members = members_in(world.village_a, people)
    services.attendance_set(user=world.staff_a, session=session, member_ids=[m.pk for m in members[:2]])
    client = client_for(world.staff_a)
    url = reverse("training:session-detail", args=[session.pk])
    client.get(url)  # warm the session and caches
    # 10: the paged register adds the village filter's choices and the session's totals.
    with django_assert_num_queries(8):  # the scope is one query
        response = client.get(url)
    assert response.status_code == 200
    assert response.text.count('name="present"') == people


@pytest.mark.parametrize("sessions", [2, 20])
def test_session_list_query_count_does_not_grow_with_sessions(world, client_for, sessions,
                                                              django_assert_num_queries):
    for _ in range(sessions):
        SessionFactory(jamoat=world.jamoat_a)
    client = client_for(world.staff_a)
    url = reverse("training:session-list")
    client.get(url)
    with django_assert_num_queries(8):  # the scope is one query
        response = client.get(url)
    assert response.text.count("<tr>") == sessions + 1
