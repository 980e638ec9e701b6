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
from datetime import date, datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from associations.models import Association
from mha_portal import exports
from mha_portal.pdf import html_to_pdf
from reports.asof import (
    ChainHead,
    FundBalance,
    ProjectAsOf,
    RateMonth,
    WindowMatch,
    chain_heads_from_ledger_books,
    eu_match_as_of,
    fund_balances_as_of,
    late_entries,
    localized,
    projects_as_of,
    projects_by_status_as_of,
    rates_monthly,
    survey_summary_as_of,
)
from reports.computations import REGISTRY
from reports.digest import figures_digest, report_figures
from reports.models import Programme
from reports.selectors import (
    STATUS_RULE,
    ChainRow,
    Money,
    ProgrammeProgress,
    integrity_associations,
    ledger_integrity,
    money_panel,
    programme_progress,
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
    projects: list[ProjectAsOf]
    projects_by_status: list
    match: list[WindowMatch]
    outreach: dict
    research: list
    integrity: list[ChainRow]
    heads: list[ChainHead]
    rates_monthly: list[RateMonth]
    narrative: str = ""
    association: Association | None = None
    funds: list[FundBalance] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    digest: str = ""
    edition: dict = field(default_factory=dict)
    late: list = field(default_factory=list)
    # Seconds the read replica was behind the primary when the figures were read (None: primary).
    replica_lag: float | None = None

    @property
    def subject(self) -> str:
        if self.association is not None:
            return localized(self.association)
        if len(self.progress.jamoats) == 1 and not self.progress.whole_programme:
            return str(self.progress.jamoats[0])
        return localized(self.programme)

    @property
    def programme_name(self) -> str:
        return localized(self.programme)

    @property
    def donor(self) -> str:
        return self.programme.localized_donor((translation.get_language() or "en")[:2])

    @property
    def jamoat_table(self) -> list:
        """Indicators with a target per jamoat, as one compact table: (indicators, rows)."""
        rows = [row for row in self.progress.rows if row.has_source and row.jamoats and (
            row.indicator.per_community or any(t.jamoat_id for t in row.indicator.targets.all()))]
        if not rows:
            return []
        by_jamoat: dict = {}
        for row in rows:
            for jr in row.jamoats:
                by_jamoat.setdefault(jr.jamoat.pk, [jr.jamoat, []])[1].append(jr.progress)
        return [rows, list(by_jamoat.values())]

    @property
    def changed(self) -> bool:
        return bool(self.edition.get("digest")) and self.edition["digest"] != self.digest


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
        """Everything the report prints, as of the period end (see `reports.asof`)."""
        programme = Programme.objects.get(pk=params["programme"])
        start, end = date.fromisoformat(params["start"]), date.fromisoformat(params["end"])
        association = self.association(params)
        jamoat_ids = self.jamoat_ids(params)
        association_id = None if association is None else association.pk
        progress = programme_progress(user=None, programme=programme, start=start, end=end, jamoat_ids=jamoat_ids)
        # Always the programme's jamoats (narrowed to the report's jamoat): never another programme's.
        scope_ids = progress.scope_ids
        projects = projects_as_of(end=end, jamoat_ids=scope_ids, association_id=association_id,
                                  programme_id=programme.pk)
        money = money_panel(start=start, end=end, jamoat_ids=scope_ids, programme_id=programme.pk)
        associations = ([association] if association is not None
                        else list(integrity_associations(jamoat_ids=scope_ids)))
        data = ReportData(
            title=self.title(), programme=programme, start=start, end=end,
            generated_at=timezone.localtime(), generated_by=params.get("generated_by") or _("Scheduled report"),
            progress=progress, money=money, projects=projects,
            projects_by_status=projects_by_status_as_of(projects),
            match=eu_match_as_of(start=start, end=end, projects=projects, programme_id=programme.pk),
            outreach=training.counselling_and_campaign_counts(start=start, end=end, jamoat_ids=scope_ids,
                                                              programme_id=programme.pk),
            research=survey_summary_as_of(end=end, jamoat_ids=scope_ids),
            integrity=ledger_integrity(jamoat_ids=scope_ids, associations=associations),
            heads=chain_heads_from_ledger_books(associations),
            rates_monthly=rates_monthly(money.finance.rates),
            narrative=str(params.get("narrative") or "").strip(),
            replica_lag=params.get("replica_lag"),
            association=association,
            funds=[] if association is None else fund_balances_as_of(association=association, end=end),
            edition=dict(params.get("edition") or {}),
        )
        data.figures = report_figures(data)
        data.digest = figures_digest(data.figures)
        if data.edition.get("at"):
            data.late = list(late_entries(start=start, end=end, jamoat_ids=scope_ids, association_id=association_id,
                                          posted_after=datetime.fromisoformat(data.edition["at"])))
        return data

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
        return self.build_with_data(params, progress)[0]

    def build_with_data(self, params: dict, progress: Progress = _nothing):
        with translation.override(params.get("language", "en")):
            data = self.gather(params)
            progress(40)
            html = render_to_string("reports/pdf/report.html", self.context(data))
            progress(60)
            pdf = (self.filename(data, "pdf"), PDF, html_to_pdf(html))
            progress(85)
            return [pdf, (self.filename(data, "xlsx"), XLSX, workbook_bytes(data))], data

    def context(self, data: ReportData) -> dict:
        statuses = [row.progress.status for row in data.progress.rows]
        return {
            "data": data,
            "report": self,
            "rows": data.progress.rows,
            "status_rule": STATUS_RULE,
            "pending_sections": self.pending_sections(),
            "summary": {"achieved": statuses.count("achieved"), "on_track": statuses.count("on_track"),
                        "behind": statuses.count("behind"),
                        "committed": sum((m.committed_eur for m in data.match), Decimal(0)),
                        "released": sum((m.released_eur for m in data.match), Decimal(0))},
            "by_sex": [(row, sex, value) for row in data.progress.rows if row.by_sex
                       for sex, value in sorted(row.by_sex.items())],
            "integrity": list(zip(data.integrity, data.heads, strict=True)),
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


CENT = Decimal("0.01")
MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "#,##0.000000"


def _cell(value):
    """Typed cells: Decimals rounded to the cent become numbers (never 266436.369999999)."""
    if isinstance(value, Decimal):
        return float(value.quantize(CENT))
    return value


def write_sheet(workbook: Workbook, title: str, header: list[str], rows: list[list], *,
                formats: dict[int, str] | None = None) -> None:
    """One section as one sheet: bold frozen header, typed numbers with a number format, column
    widths. Every XLSX cell of the reports goes through here (swap for the shared writer)."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append([str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in header]
    formats = formats or {}
    for row in rows:
        exports.append_row(sheet, [_cell(v) for v in row])
        for index, value in enumerate(row):
            cell = sheet.cell(row=sheet.max_row, column=index + 1)
            if isinstance(value, Decimal):
                cell.number_format = formats.get(index, MONEY_FORMAT)
            elif isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
            if index < len(widths):
                widths[index] = max(widths[index], min(len(str(value if value is not None else "")), 60))
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(width + 2, 8)
    sheet.freeze_panes = "A2"


def _target_cells(target) -> list:
    return [None, None] if target is None else [target.low, target.high]


def workbook_bytes(data: ReportData) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    head = [_("Indicator"), _("Baseline"), _("Target (at least)"), _("Target (at most)"), _("Actual in period"),
            _("Actual to date"), _("Percent of target"), _("Status"), _("Source of verification")]
    write_sheet(workbook, _("Logframe"), head, [
        [str(row.indicator), row.indicator.baseline, *_target_cells(row.progress.target), row.progress.period_actual,
         row.progress.actual, row.progress.percent, row.progress.status_label,
         str(REGISTRY[row.indicator.computation].description) if row.indicator.computation in REGISTRY else ""]
        for row in data.progress.rows])
    if data.jamoat_table:
        indicators, jamoat_rows = data.jamoat_table
        write_sheet(workbook, _("Per jamoat"), [_("Jamoat"), _("Region"), _("Indicator"), _("Target (at least)"),
                                               _("Actual in period"), _("Actual to date"), _("Status")], [
            [str(jamoat), str(jamoat.district.region), str(row.indicator),
             None if p.target is None else p.target.low, p.period_actual, p.actual, p.status_label]
            for jamoat, cells in jamoat_rows for row, p in zip(indicators, cells, strict=True)])
    if data.association is not None:
        write_sheet(workbook, _("Funds"), [_("Fund"), _("Kind"), _("Currency"), _("Balance in that currency"),
                                           _("Balance (TJS)"), _("Balance (EUR)")],
                    [[f.name, f.fund.get_kind_display(), currency, amount, f.tjs, f.eur]
                     for f in data.funds for currency, amount in (f.by_currency or [("", None)])])
    write_sheet(workbook, _("Money raised"), [_("Currency of origin"), _("Amount in that currency"),
                                              _("EUR at posting"), _("Entries")],
                [[r.currency, r.original, r.eur, r.entries] for r in data.money.finance.raised]
                + [[_("Total"), None, data.money.finance.raised_eur, None]])
    write_sheet(workbook, _("Rates by month"), [_("Currency"), _("Month"), _("Lowest"), _("Mean"), _("Highest"),
                                                _("Days used")],
                [[r.currency, r.month.strftime("%m.%Y"), r.low, r.mean, r.high, r.days] for r in data.rates_monthly],
                formats={2: RATE_FORMAT, 3: RATE_FORMAT, 4: RATE_FORMAT})
    write_sheet(workbook, _("Daily rates"), [_("Currency"), _("Rate date"), _("TJS per unit"), _("TJS per EUR"),
                                             _("Entries")],
                [[r["amount_currency"], r["rate_date"], r["rate"], r["eur_rate"], r["n"]]
                 for r in data.money.finance.rates if r["amount_currency"] != "TJS"],
                formats={2: RATE_FORMAT, 3: RATE_FORMAT})
    write_sheet(workbook, _("EU match"), [_("Funding window"), _("Budget (EUR)"), _("Committed (EUR)"),
                                          _("Committed in period (EUR)"), _("Released (EUR)"),
                                          _("Released in period (EUR)"), _("Remaining (EUR)")],
                [[m.name, m.window.total_budget_eur, m.committed_eur, m.committed_in_period_eur, m.released_eur,
                  m.released_in_period_eur, m.remaining_eur] for m in data.match])
    write_sheet(workbook, _("Projects by status"), [_("Status at the period end"), _("Projects"),
                                                    _("Beneficiary households"), _("Photos")],
                [[label, n, households, photos] for _code, label, n, households, photos in data.projects_by_status])
    write_sheet(workbook, _("Projects"), [_("Jamoat"), _("Project"), _("Category"), _("Status at the period end"),
                                          _("Budget"), _("Currency"), _("EU match committed (EUR)"),
                                          _("Beneficiary households"), _("Photos")],
                [[str(p.project.jamoat), p.title, p.project.get_category_display(), p.status_label,
                  p.project.budget.amount, str(p.project.budget.currency), p.match_committed_eur,
                  p.project.beneficiary_households, p.photos] for p in data.projects])
    write_sheet(workbook, _("Consultations and campaigns"), [_("Item"), _("Value")], [
        [_("Consultations held"), data.outreach["consultations"]], [_("Campaigns run"), data.outreach["campaigns"]],
        [_("People reached by campaigns"), data.outreach["people_reached"]],
        *[[f"{row.indicator}: {_sex_label(sex)}", value] for row in data.progress.rows if row.by_sex
          for sex, value in sorted(row.by_sex.items())]])
    write_sheet(workbook, _("Survey summary"), [_("Region"), _("Interviews"), _("Receiving remittances (%)")],
                [[group.label, group.interviews, group.receiving_pct] for group in data.research])
    write_sheet(workbook, _("Ledger integrity"), [_("Association"), _("Jamoat"), _("Entries"), _("Chain intact"),
                                                  _("First broken entry")],
                [[localized(r.association), str(r.association.jamoat), r.entries, _("yes") if r.intact else _("no"),
                  r.broken_at] for r in data.integrity])
    # Machine-readable checkpoints, the same in every language (header fixed, full hashes).
    write_sheet(workbook, "Ledger checkpoints", ["association", "sequence", "hash"],
                [[head.association.pk, head.sequence, head.hash] for head in data.heads])
    write_sheet(workbook, _("About"), [_("Item"), _("Value")], [
        [_("Programme"), data.programme_name], [_("Donor"), data.donor], [_("Report"), data.title],
        [_("Subject"), data.subject], [_("Period"), f"{data.start:%d.%m.%Y} – {data.end:%d.%m.%Y}"],
        [_("Generated"), data.generated_at.strftime("%d.%m.%Y %H:%M")], [_("Generated by"), data.generated_by],
        [_("Figures digest"), data.digest], [_("Narrative"), data.narrative],
        [_("Status rule"), str(STATUS_RULE)],
    ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sex_label(code: str) -> str:
    from households.models import Member

    return str(dict(Member.Sex.choices).get(code, code))
