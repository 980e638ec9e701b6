"""Households with members and trips, built through the services so search_text is right."""

from datetime import date

from households.models import Member
from households.services import episode_create, household_create


def make_household(user, village, *, head=("Раҳимов", "Ҷамшед"), phone="", others=(), code=""):
    members = [{"last_name": head[0], "first_name": head[1], "sex": Member.Sex.MALE, "birth_year": 1975,
                "relation": Member.Relation.HEAD}]
    for last_name, first_name in others:
        members.append({"last_name": last_name, "first_name": first_name, "sex": Member.Sex.FEMALE,
                        "birth_year": 1980, "relation": Member.Relation.SPOUSE})
    return household_create(user=user, village=village, members=members, phone=phone, code=code)


def send_abroad(user, member, *, country="RU", city="Москва", departure=date(2023, 3, 1), returned=None):
    return episode_create(user=user, member=member, destination_country=country, destination_city=city,
                          sector="construction", departure_date=departure, return_date=returned)
