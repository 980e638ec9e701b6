"""Spreadsheet template, import (dry run, all-or-nothing, idempotent) and export round trip."""

import io

import openpyxl
import pytest
from django.urls import reverse

from households.models import Household, Member, MigrationEpisode
from households.spreadsheets import (
    COLUMN_NAMES,
    FileError,
    commit_import,
    plan_import,
    read_rows,
    to_csv,
    to_xlsx,
)
from tests.households.factories import make_household, send_abroad

pytestmark = pytest.mark.django_db


def row(**values):
    base = {"household_code": "IMP-1", "jamoat": "Askalon", "village": "Dehqonobod", "address": "",
            "household_phone": "", "status": "active", "last_name": "Раҳимов", "first_name": "Ҷамшед",
            "patronymic": "Қодирович", "sex": "M", "birth_year": "1980", "relation": "head", "education": "",
            "member_phone": "", "trip_country": "", "trip_city": "", "trip_sector": "", "trip_departure": "",
            "trip_return": "", "trip_legal_status": "", "trip_channel": ""}
    base.update(values)
    return [base[column] for column in COLUMN_NAMES]


def csv_rows(*rows):
    return read_rows(io.BytesIO(to_csv(list(rows))), "households.csv")


def xlsx_rows(*rows):
    return read_rows(io.BytesIO(to_xlsx(list(rows))), "households.xlsx")


FAMILY = [
    row(trip_country="RU", trip_city="Москва", trip_sector="construction", trip_departure="15.03.2021",
        trip_return="2022-01-20", trip_legal_status="work_patent", trip_channel="mto"),
    row(trip_country="Russia", trip_city="Екатеринбург", trip_sector="Construction", trip_departure="2023-04-01"),
    row(last_name="Раҳимова", first_name="Зӯҳра", patronymic="", sex="F", birth_year="1984,0", relation="spouse"),
]


def test_dry_run_shows_what_would_be_created_and_writes_nothing(world):
    plan = plan_import(user=world.staff_a, rows=csv_rows(*FAMILY))
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.created == {"households": 1, "members": 2, "trips": 2}
    assert not Household.objects.exists() and not Member.objects.exists()


@pytest.mark.parametrize("reader", [csv_rows, xlsx_rows])
def test_commit_creates_the_household_and_reimport_creates_nothing(world, reader):
    commit_import(user=world.staff_a, rows=reader(*FAMILY))
    household = Household.objects.get(code="IMP-1")
    assert household.head.full_name == "Раҳимов Ҷамшед Қодирович"
    assert household.members.get(first_name="Зӯҳра").birth_year == 1984
    assert MigrationEpisode.objects.filter(return_date__isnull=True).count() == 1
    assert household.history.latest().history_user == world.staff_a

    again = commit_import(user=world.staff_a, rows=reader(*FAMILY))
    assert again.ok and again.changes == 0
    assert (Household.objects.count(), Member.objects.count(), MigrationEpisode.objects.count()) == (1, 2, 2)


def test_imported_names_are_found_by_latin_search(world, client_for):
    commit_import(user=world.staff_a, rows=csv_rows(*FAMILY))
    response = client_for(world.staff_a).get(reverse("households:list"), {"q": "Rahimova Zuhra"})
    assert [h.code for h in response.context["page"]] == ["IMP-1"]


def test_reimport_with_a_changed_value_updates_it(world):
    commit_import(user=world.staff_a, rows=csv_rows(*FAMILY))
    changed = [FAMILY[0], FAMILY[1], row(last_name="Раҳимова", first_name="Зӯҳра", patronymic="", sex="F",
                                         birth_year="1984", relation="spouse", member_phone="+992 90 111 22 33")]
    plan = commit_import(user=world.staff_a, rows=csv_rows(*changed))
    assert plan.created == {"households": 0, "members": 0, "trips": 0}
    assert plan.updated["members"] == 1
    assert Member.objects.get(first_name="Зӯҳра").phone == "+992 90 111 22 33"


def test_bad_rows_write_nothing_and_are_listed_by_row_and_column(world):
    rows = csv_rows(
        FAMILY[0],
        row(household_code="IMP-2", birth_year="2999"),
        row(household_code="IMP-3", trip_country="RU", trip_sector="trade", trip_departure="01.05.2023",
            trip_return="01.04.2023"),
        row(household_code="IMP-4", sex="X"),
        row(household_code="IMP-5", trip_sector="trade", trip_departure="31.02.2023"),
        row(household_code="IMP-6", relation="child"),
        row(household_code="IMP-7", village="Sarichashma", jamoat="Chubek"),
    )
    plan = commit_import(user=world.staff_a, rows=rows)
    found = {(error.row, error.column) for error in plan.errors}
    assert found == {(3, "birth_year"), (4, "trip_return"), (5, "sex"), (6, "trip_departure"), (7, "relation"),
                     (8, "village")}
    messages = [str(error) for error in plan.errors]
    assert "Row 3, column “birth_year” (Birth year): The birth year cannot be in the future." in messages
    assert ("Row 4, column “trip_return” (Trip: return date): "
            "The return date cannot be before the departure date.") in messages
    assert not Household.objects.exists()


def test_two_heads_in_one_household_are_refused(world):
    plan = plan_import(user=world.staff_a, rows=csv_rows(FAMILY[0], row(first_name="Алишер", birth_year="2000")))
    assert [str(error) for error in plan.errors] == [
        "Row 2, column “relation” (Relation to the head): Household IMP-1 must have exactly one head (it has 2)."]


def test_staff_cannot_update_another_jamoats_household_by_its_code(world):
    other = make_household(world.admin, world.village_b, code="B-1")
    plan = commit_import(user=world.staff_a, rows=csv_rows(row(household_code="B-1")))
    assert not plan.ok
    other.refresh_from_db()
    assert other.village == world.village_b and other.members.count() == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("households.xlsx", b"this is not a workbook", "not an Excel workbook"),
    ("households.csv", b" \n", "The file is empty."),
    ("households.csv", b"name,age\nAli,3\n", "The columns do not match the template."),
    ("households.pdf", b"%PDF-1.4", "Upload an Excel workbook (.xlsx) or a CSV file (.csv)."),
    ("households.csv", ",".join(COLUMN_NAMES).encode() + b"\n", "The file has a header but no rows."),
])
def test_malformed_files_get_a_clear_message(world, client_for, name, content, message):
    with pytest.raises(FileError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read_rows(io.BytesIO(content), name)
    upload = io.BytesIO(content)
    upload.name = name
    response = client_for(world.staff_a).post(reverse("households:import"), {"file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Household.objects.exists()


def test_import_pages_preview_then_commit(world, client_for):
    client = client_for(world.staff_a)
    upload = io.BytesIO(to_xlsx(FAMILY))
    upload.name = "family.xlsx"
    response = client.post(reverse("households:import"), {"file": upload})
    assert response["Location"] == reverse("households:import-preview")
    preview = client.get(response["Location"])
    assert "To create" in preview.text and not Household.objects.exists()
    done = client.post(reverse("households:import-preview"))
    assert done.status_code == 302
    assert Household.objects.get().code == "IMP-1"


def test_import_page_with_bad_rows_lists_them_and_commit_writes_nothing(world, client_for):
    client = client_for(world.staff_a)
    upload = io.BytesIO(to_csv([row(birth_year="abc")]))
    upload.name = "bad.csv"
    client.post(reverse("households:import"), {"file": upload})
    preview = client.get(reverse("households:import-preview"))
    assert "“abc” is not a year." in preview.text
    client.post(reverse("households:import-preview"))
    assert not Household.objects.exists()


def test_template_lists_allowed_values_and_imports_as_is(world, client_for):
    response = client_for(world.staff_a).get(reverse("households:import-template", args=["xlsx"]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    allowed = {r[0]: r[3] for r in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert "work_patent = Work patent" in allowed["trip_legal_status"]
    plan = plan_import(user=world.staff_a, rows=read_rows(io.BytesIO(response.content), "t.xlsx"))
    assert plan.ok, [str(e) for e in plan.errors]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_unchanged_with_tajik_letters_intact(world, client_for, fmt):
    household = make_household(world.staff_a, world.village_a, head=("Ғаюров", "Ҳусейн"),
                               others=[("Ғаюрова", "Зӯҳра")])
    send_abroad(world.staff_a, household.head, city="Санкт-Петербург")
    response = client_for(world.staff_a).get(reverse("households:export", args=[fmt]), {"purpose": "re-import"})
    rows = read_rows(io.BytesIO(response.content), f"export.{fmt}")
    assert {r["first_name"] for r in rows} == {"Ҳусейн", "Зӯҳра"}
    assert {r["last_name"] for r in rows} == {"Ғаюров", "Ғаюрова"}
    plan = plan_import(user=world.staff_a, rows=rows)
    assert plan.ok and plan.changes == 0, ([str(e) for e in plan.errors], plan.created, plan.updated)


def test_export_follows_the_list_filters(world, client_for):
    wanted = make_household(world.staff_a, world.village_a, head=("Раҳимов", "Ҷамшед"))
    make_household(world.staff_a, world.village_a, head=("Саидов", "Фарҳод"))
    response = client_for(world.staff_a).get(reverse("households:export", args=["csv"]), {"q": "Rahimov",
                                                                                          "purpose": "visit list"})
    assert {r["household_code"] for r in read_rows(io.BytesIO(response.content), "x.csv")} == {wanted.code}


def test_ten_thousand_rows_import_in_one_file(world):
    rows = []
    for number in range(2500):
        code = f"BIG-{number:05d}"
        rows.append(row(household_code=code, first_name=f"Ҷамшед{number}"))
        rows.append(row(household_code=code, last_name="Раҳимова", first_name="Зӯҳра", sex="F", birth_year="1985",
                        relation="spouse"))
        rows.append(row(household_code=code, first_name="Алӣ", birth_year="2005", relation="child",
                        trip_country="RU", trip_city="Москва", trip_sector="services", trip_departure="01.02.2024"))
        rows.append(row(household_code=code, first_name="Ӯмед", birth_year="2007", relation="child"))
    parsed = csv_rows(*rows)
    assert len(parsed) == 10_000
    plan = commit_import(user=world.staff_a, rows=parsed)
    assert plan.ok, [str(e) for e in plan.errors[:5]]
    assert (Household.objects.count(), Member.objects.count(), MigrationEpisode.objects.count()) == (2500, 10_000,
                                                                                                   2500)
    assert Household.objects.filter(head__isnull=True).count() == 0
    assert "jamshed2499" in Household.objects.get(code="BIG-02499").search_text


def test_import_errors_are_in_the_users_language(world):
    from django.utils import translation

    with translation.override("ru"):
        plan = plan_import(user=world.staff_a, rows=csv_rows(row(birth_year="2999")))
        messages = [str(error) for error in plan.errors]
    assert messages == ["Строка 2, столбец «birth_year» (Год рождения): Год рождения не может быть в будущем."]
    with translation.override("tg"):
        plan = plan_import(user=world.staff_a, rows=csv_rows(row(trip_sector="trade", trip_departure="31.02.2023")))
        assert str(plan.errors[0]).startswith(
            "Сатри 2, сутуни «trip_departure» (Сафар: санаи рафтан): «31.02.2023» сана нест")


def test_household_list_page_in_tajik(world, client_for, settings):
    client = client_for(world.staff_a)
    response = client.get(reverse("households:list"), HTTP_ACCEPT_LANGUAGE="tg")
    assert "Сабти хонавода" in response.text
    assert "Ҳанӯз ягон хонавода сабт нашудааст." in response.text
