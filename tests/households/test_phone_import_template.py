"""The import template speaks the user's language: local headings and values, dropdowns for the
coded columns, a sheet explaining each column, and it reads back as it is."""

import io

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from households.spreadsheets import COLUMN_NAMES, plan_import, read_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def tajik_template(world, client_for):
    client = client_for(world.staff_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tg"
    response = client.get(reverse("households:import-template", args=["xlsx"]))
    assert response.status_code == 200
    return response.content


def test_template_headings_and_values_are_in_tajik(tajik_template):
    workbook = openpyxl.load_workbook(io.BytesIO(tajik_template))
    sheet = workbook.worksheets[0]
    headings = [cell.value for cell in sheet[1]]
    assert "Насаб" in headings or "Соли таваллуд" in headings
    assert not set(headings) & set(COLUMN_NAMES)
    example = dict(zip(headings, [cell.value for cell in sheet[2]], strict=True))
    assert "M" not in example.values() and "head" not in example.values()


def test_template_has_dropdowns_for_village_sex_relation_and_legal_status(world, tajik_template):
    workbook = openpyxl.load_workbook(io.BytesIO(tajik_template))
    sheet = workbook.worksheets[0]
    validated = {str(rule.sqref).split(":")[0][:-1] for rule in sheet.data_validations.dataValidation}
    letter = {name: openpyxl.utils.get_column_letter(i + 1) for i, name in enumerate(COLUMN_NAMES)}
    for column in ("village", "sex", "relation", "trip_legal_status"):
        assert letter[column] in validated, column
    lists = workbook.worksheets[-1]
    assert lists.sheet_state == "hidden"
    villages = [row[1] for row in lists.iter_rows(min_row=2, values_only=True) if row[0] is None or True]
    assert any(value == world.village_a.name for value in sum((list(r) for r in lists.iter_rows(values_only=True)),
                                                              []))
    assert villages
    explained = {row[0] for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert set(COLUMN_NAMES) <= explained


def test_filled_tajik_template_imports_with_local_words(world, tajik_template):
    plan = plan_import(user=world.staff_a, rows=read_rows(io.BytesIO(tajik_template), "template.xlsx"))
    assert plan.ok, [str(error) for error in plan.errors]
    assert plan.changes > 0
