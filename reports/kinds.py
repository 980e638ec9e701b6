"""Report classes, one per kind: `identifier`, `verbose_name`, `scope` (what the requester must be
allowed to see) and `render(params) -> (filename, content_type, bytes)` for the PDF, plus
`render_annex(params)` for the XLSX annex with the same data, one sheet per section.

Parameters are primitives (ISO dates, ids, a language code), already validated and authorised
by `reports.services.report_job_request`; rendering runs as the system, not as a user.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from associations.models import Association
from mha_portal import exports
from mha_portal.pdf import html_to_pdf
from remittances.selectors import fund_balances
from reports.charts import region_charts, status_by_jamoat_chart
from reports.models import Programme
from reports.selectors import (
    STATUS_RULE,
    ChainRow,
    Money,
    ProgrammeProgress,
    ledger_integrity,
    money_panel,
    programme_progress,
    projects_annex,
)
from training import selectors as training

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Progress = Callable[[int], None]


@dataclass
class ReportData:
    title: str
    programme: Programme
    start: date
    end: date
    generated_at: object
    generated_by: str
    progress: ProgrammeProgress
    money: Money
    projects: list
    outreach: dict
    research: list
    integrity: list[ChainRow]
    association: Association | None = None
    funds: list = field(default_factory=list)

    @property
    def subject(self) -> str:
        if self.association is not None:
            return str(self.association)
        if len(self.progress.jamoats) == 1 and not self.progress.whole_programme:
            return str(self.progress.jamoats[0])
        return str(self.programme)


def _nothing(_percent: int) -> None:
    return None


class Report:
    identifier = ""
    verbose_name = gettext_lazy("Report")
    scope = "programme"  # "programme" (officers), "jamoat" or "association"

    def title(self) -> str:
        return str(self.verbose_name)

    def jamoat_ids(self, params: dict) -> list[int] | None:
        return None

    def association(self, params: dict) -> Association | None:
        return None

    def gather(self, params: dict) -> ReportData:
        programme = Programme.objects.get(pk=params["programme"])
        start, end = date.fromisoformat(params["start"]), date.fromisoformat(params["end"])
        association = self.association(params)
        jamoat_ids = self.jamoat_ids(params)
        progress = programme_progress(user=None, programme=programme, start=start, end=end, jamoat_ids=jamoat_ids)
        # Always the programme's jamoats (narrowed to the report's jamoat): never another programme's.
        scope_ids = progress.scope_ids
        research = training.survey_aggregates(user=None)
        if scope_ids is None:
            research_groups = research["regions"]
        else:
            names = {str(j.name) for j in progress.jamoats}
            research_groups = [group for group in research["jamoats"] if group.label in names]
        return ReportData(
            title=self.title(), programme=programme, start=start, end=end,
            generated_at=timezone.localtime(), generated_by=params.get("generated_by") or _("Scheduled report"),
            progress=progress,
            money=money_panel(start=start, end=end, jamoat_ids=scope_ids, programme_id=programme.pk),
            projects=list(projects_annex(jamoat_ids=scope_ids, programme_id=programme.pk)),
            outreach=training.counselling_and_campaign_counts(start=start, end=end, jamoat_ids=scope_ids,
                                                              programme_id=programme.pk),
            research=research_groups,
            integrity=ledger_integrity(jamoat_ids=scope_ids),
            association=association,
            funds=[] if association is None else fund_balances(association=association),
        )

    def filename(self, data: ReportData, extension: str) -> str:
        return f"{self.identifier}-{data.start:%Y%m%d}-{data.end:%Y%m%d}.{extension}"

    def render(self, params: dict, progress: Progress = _nothing) -> tuple[str, str, bytes]:
        return self.build(params, progress)[0]

    def render_annex(self, params: dict) -> tuple[str, str, bytes]:
        with translation.override(params.get("language", "en")):
            data = self.gather(params)
            return self.filename(data, "xlsx"), XLSX, workbook_bytes(data)

    def build(self, params: dict, progress: Progress = _nothing) -> list[tuple[str, str, bytes]]:
        """The PDF and the XLSX annex from one gathering of the data (so they cannot disagree)."""
        with translation.override(params.get("language", "en")):
            data = self.gather(params)
            progress(40)
            html = render_to_string("reports/pdf/report.html", self.context(data))
            progress(60)
            pdf = (self.filename(data, "pdf"), PDF, html_to_pdf(html))
            progress(85)
            return [pdf, (self.filename(data, "xlsx"), XLSX, workbook_bytes(data))]

    def context(self, data: ReportData) -> dict:
        return {
            "data": data,
            "report": self,
            "rows": data.progress.rows,
            "status_rule": STATUS_RULE,
            "status_chart": status_by_jamoat_chart(data.progress, _("Indicators by status and jamoat")),
            "region_charts": region_charts(data.progress) if data.progress.whole_programme else [],
            "pending_sections": self.pending_sections(),
        }

    def pending_sections(self) -> list[str]:
        """Sections whose source app has no selector yet: printed as such, never as zeros."""
        return []


class ProgrammeProgressReport(Report):
    identifier = "programme_progress"
    verbose_name = gettext_lazy("Programme progress report")
    scope = "programme"


class JamoatReport(Report):
    identifier = "jamoat"
    verbose_name = gettext_lazy("Jamoat report")
    scope = "jamoat"

    def jamoat_ids(self, params: dict) -> list[int]:
        return [params["jamoat"]]

    def filename(self, data: ReportData, extension: str) -> str:
        return f"jamoat-{data.progress.jamoats[0].pk}-{data.start:%Y%m%d}-{data.end:%Y%m%d}.{extension}"


class MhaFinancialStatement(Report):
    identifier = "mha_statement"
    verbose_name = gettext_lazy("MHA financial statement")
    scope = "association"

    def association(self, params: dict) -> Association:
        return Association.objects.select_related("jamoat").get(pk=params["association"])

    def jamoat_ids(self, params: dict) -> list[int]:
        return [self.association(params).jamoat_id]

    def filename(self, data: ReportData, extension: str) -> str:
        return f"mha-{data.association.pk}-{data.start:%Y%m%d}-{data.end:%Y%m%d}.{extension}"

    def pending_sections(self) -> list[str]:
        return []


REPORTS: dict[str, Report] = {cls.identifier: cls() for cls in
                              (ProgrammeProgressReport, JamoatReport, MhaFinancialStatement)}


def report_choices() -> list[tuple[str, str]]:
    return [(key, report.verbose_name) for key, report in REPORTS.items()]


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        exports.append_row(sheet, row)
    sheet.freeze_panes = "A2"


def _target_cells(target) -> list:
    return [None, None] if target is None else [target.low, target.high]


def workbook_bytes(data: ReportData) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    head = [_("Code"), _("Indicator"), _("Target (at least)"), _("Target (at most)"), _("Actual in period"),
            _("Actual to date"), _("Percent of target"), _("Status")]
    _sheet(workbook, _("Indicators"), head, [
        [row.code, str(row.indicator), *_target_cells(row.progress.target), row.progress.period_actual,
         row.progress.actual, row.progress.percent, row.progress.status_label] for row in data.progress.rows])
    _sheet(workbook, _("Jamoats"), [_("Jamoat"), _("Region"), *head], [
        [str(jr.jamoat), str(jr.jamoat.district.region), row.code, str(row.indicator),
         *_target_cells(jr.progress.target), jr.progress.period_actual, jr.progress.actual, jr.progress.percent,
         jr.progress.status_label]
        for row in data.progress.rows for jr in row.jamoats])
    _sheet(workbook, _("Regions"), [_("Code"), _("Indicator"), _("Region"), _("Actual to date")], [
        [row.code, str(row.indicator), region, value] for row in data.progress.rows for region, value in row.by_region])
    _sheet(workbook, _("Sources"), [_("Code"), _("Indicator"), _("Data source")], [
        [row.code, str(row.indicator), _("Computed from the records") if row.has_source else _("No data source yet")]
        for row in data.progress.rows])
    _sheet(workbook, _("Finance"), [_("Currency of origin"), _("Amount in that currency"), _("EUR at posting"),
                                    _("Entries")],
           [[r.currency, r.original, r.eur, r.entries] for r in data.money.finance.raised]
           + [[_("Total"), None, data.money.finance.raised_eur, None]])
    _sheet(workbook, _("Rates used"), [_("Currency"), _("Rate date"), _("TJS per unit"), _("TJS per EUR"),
                                       _("Entries")],
           [[r["amount_currency"], r["rate_date"], r["rate"], r["eur_rate"], r["n"]] for r in data.money.finance.rates])
    _sheet(workbook, _("EU match and projects"), [_("Item"), _("Value")], [
        [_("EU match committed (EUR)"), data.money.match_committed_eur],
        [_("EU match released (EUR)"), data.money.match_released_eur],
        *[[label, n] for _code, label, n in data.money.projects_by_status]])
    _sheet(workbook, _("Projects"), [_("Jamoat"), _("Project"), _("Category"), _("Status"), _("Budget"),
                                     _("Currency"), _("EU match committed (EUR)")],
           [[str(p.jamoat), p.title, p.get_category_display(), p.get_status_display(), p.budget.amount,
             str(p.budget.currency), p.eu_match_eur] for p in data.projects])
    _sheet(workbook, _("Training and migration"), [_("Item"), _("Value")], [
        [_("Consultations held"), data.outreach["consultations"]], [_("Campaigns run"), data.outreach["campaigns"]],
        [_("People reached by campaigns"), data.outreach["people_reached"]],
        *[[f"{row.code}: {_('people trained')} ({sex})", value] for row in data.progress.rows if row.by_sex
          for sex, value in sorted(row.by_sex.items())]])
    _sheet(workbook, _("Research"), [_("Group"), _("Interviews"), _("Receiving remittances (%)")],
           [[group.label, group.interviews, group.receiving_pct] for group in data.research])
    _sheet(workbook, _("Ledger integrity"), [_("Association"), _("Jamoat"), _("Entries"), _("Chain intact"),
                                             _("First broken entry")],
           [[str(r.association), str(r.association.jamoat), r.entries, _("yes") if r.intact else _("no"),
             r.broken_at] for r in data.integrity])
    if data.association is not None:
        _sheet(workbook, _("Funds"), [_("Fund"), _("Kind"), _("Balance (TJS)"), _("Balance (EUR)")],
               [[f.name, f.get_kind_display(), f.balance_tjs, f.balance_eur] for f in data.funds])
    _sheet(workbook, _("About"), [_("Item"), _("Value")], [
        [_("Programme"), str(data.programme)], [_("Report"), data.title], [_("Subject"), data.subject],
        [_("Period"), f"{data.start.isoformat()} – {data.end.isoformat()}"],
        [_("Generated"), data.generated_at.strftime("%Y-%m-%d %H:%M")], [_("Generated by"), data.generated_by],
        [_("Status rule"), str(STATUS_RULE)],
        *[[_("Section without a data source yet"), section] for section in Report().pending_sections()],
    ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

