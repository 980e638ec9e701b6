"""One language per document, numbers in the document's locale, and print quality: rows never
split across pages and table headers repeated on every page."""

import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from associations.models import Association
from mha_portal.pdf import StaticOnlyURLFetcher
from remittances import services as ledger_services
from remittances.models import Fund
from reports.kinds import REPORTS
from reports.models import Indicator
from tests.reports.factories import raise_money, train
from training.models import Category

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-07-01", "end": "2026-09-30"}
TEMPLATE = "reports/templates/reports/pdf/report.html"
CYRILLIC = re.compile(r"[А-Яа-яЁёҚқҒғҲҳҶҷӢӣӮӯ]")
CODE_TAG = re.compile(r"\[[a-z][a-z0-9-]*\]")
EN_NUMBER = re.compile(r"\d,\d{3}\.\d{2}")
SPACED_NUMBER = re.compile(r"\d \d{3},\d{2}")


@pytest.fixture
def records(world, programme):
    train(world.village_a, 3, on=date(2026, 8, 1), sex="F")
    train(world.village_a, 2, on=date(2026, 8, 20), category=Category.BUSINESS)
    raise_money(world, on=date(2026, 8, 15))
    for indicator in Indicator.objects.all():
        indicator.name_tg, indicator.name_ru = f"Нишондиҳанда {indicator.position}", f"Индикатор {indicator.position}"
        indicator.save()
    for association in Association.objects.all():
        association.name_tg, association.name_ru = f"АХМ {association.pk}", f"АДМ {association.pk}"
        association.save()
    Fund.objects.filter(code="bakery").update(name_tg="Нонпазӣ", name_ru="Пекарня")
    return world


def _english_phrases() -> list[str]:
    """The report's own English strings (those with a translation that differs)."""
    text = Path(TEMPLATE).read_text(encoding="utf-8")
    phrases = set(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
    for block in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate", text, re.S):
        phrases |= {part.strip() for part in re.split(r"{{[^}]*}}", block) if len(part.strip()) > 3}
    return sorted(p for p in phrases if len(p) >= 4 and p not in {"EUR", "Hash"})


def _pdf(api, client, capture, language, **data) -> str:
    with capture(execute=True):
        response = api.post("/api/v1/reports/", {**PERIOD, "language": language, **data}, format="json")
    assert response.status_code == 201, response.json()
    download = client.get(reverse("reports:job-download", args=[response.json()["id"]]))
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages).replace("\u00a0", " "))


@pytest.mark.parametrize("language", ["tg", "ru"])
def test_tajik_and_russian_reports_have_no_english_phrase_no_code_tag_and_local_numbers(
        records, language, api_for, client_for, in_process_celery, django_capture_on_commit_callbacks):
    officer, treasurer = records.officer, records.treasurer_a
    texts = [_pdf(api_for(officer), client_for(officer), django_capture_on_commit_callbacks, language,
                  kind="programme_progress"),
             _pdf(api_for(treasurer), client_for(treasurer), django_capture_on_commit_callbacks, language,
                  kind="mha_statement", association=records.association_a.pk)]
    phrases = _english_phrases()
    assert len(phrases) > 60
    for text in texts:
        found = [p for p in phrases if re.search(rf"(?<![\w]){re.escape(p)}(?![\w])", text)]
        assert not found, found
        assert not CODE_TAG.search(text), CODE_TAG.search(text).group(0)
        assert not EN_NUMBER.search(text), EN_NUMBER.search(text).group(0)
        for english in ("Households trained in finance", "MHA", "Bakery", "General fund", "Khatlon", "Female"):
            assert english not in text, english
    statement = texts[1]
    assert "1 000,00 RUB" in statement and "100,00 EUR" in statement
    assert ("Нонпазӣ" if language == "tg" else "Пекарня") in statement
    assert re.search(r"\d{2}\.\d{2}\.\d{4}", statement)


def test_english_report_has_no_cyrillic_and_english_numbers(
        records, api_for, client_for, in_process_celery, django_capture_on_commit_callbacks):
    treasurer = records.treasurer_a
    text = _pdf(api_for(treasurer), client_for(treasurer), django_capture_on_commit_callbacks, "en",
                kind="mha_statement", association=records.association_a.pk)
    assert not CYRILLIC.search(text), CYRILLIC.search(text).group(0)
    assert not SPACED_NUMBER.search(text)
    assert "1,000.00 RUB" in text and "Bakery" in text
    assert not CODE_TAG.search(text)


def _layout(params: dict):
    report = REPORTS["mha_statement"]
    with translation.override("en"):
        data = report.gather(params)
        html = render_to_string("reports/pdf/report.html", report.context(data))
    return HTML(string=html, base_url="file:///", url_fetcher=StaticOnlyURLFetcher()).render()


def _rows(box, page_number, found, header=False):
    """(page, row box, in a header group) for every table row laid out on the page."""
    if isinstance(box, boxes.TableRowGroupBox):
        header = box.is_header
    if isinstance(box, boxes.TableRowBox):
        found.append((page_number, box, header))
    for child in getattr(box, "children", []) or []:
        _rows(child, page_number, found, header)


def test_no_table_row_is_split_across_pages_and_headers_repeat(world, programme):
    for index in range(70):
        ledger_services.fund_create(association=world.association_a, kind="business", code=f"shop-{index}",
                                    name=f"Shop number {index} with a long name that wraps onto a second line "
                                         f"in the narrow fund column of the statement table")
    today = timezone.localdate()
    params = {"programme": programme.pk, "start": today.replace(day=1).isoformat(), "end": today.isoformat(),
              "language": "en", "association": world.association_a.pk}
    document = _layout(params)
    found = []
    for number, page in enumerate(document.pages):
        _rows(page._page_box, number, found)
    pages_of_row: dict[int, set[int]] = {}
    for number, box, _header in found:
        pages_of_row.setdefault(id(box.element), set()).add(number)
    fund_rows = [(n, b) for n, b, header in found if not header and "Shop number" in "".join(b.element.itertext())]
    assert len({id(b.element) for _n, b in fund_rows}) == 70
    fund_pages = {n for n, _b in fund_rows}
    assert len(fund_pages) >= 2, "the funds table spans pages (the test is not vacuous)"
    for _number, box in fund_rows:
        assert len(pages_of_row[id(box.element)]) == 1, "a row split across pages"
    header = next(b.element for _n, b, is_header in found if is_header
                  and "Balance (TJS)" in "".join(b.element.itertext()))
    assert pages_of_row[id(header)] >= fund_pages, "the header repeats on every page of the table"
