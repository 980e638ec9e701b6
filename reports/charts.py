"""Charts drawn on the server as SVG, so the same drawing appears on the page and in the PDF,
needs no JavaScript library, and passes the Content-Security-Policy (presentation attributes
only, no style attributes)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from textwrap import shorten

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reports.selectors import ACHIEVED, BEHIND, ON_TRACK, STATUS_LABELS, ProgrammeProgress, format_number

COLOURS = {ACHIEVED: "#1e7b3a", ON_TRACK: "#c98a00", BEHIND: "#b42318", "value": "#0b5d7a"}
ROW_HEIGHT, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 22, 170, 300, 70
TITLE_CHARS = 72  # what fits the chart's width in bold 12px


@dataclass
class Segment:
    value: Decimal
    colour: str
    title: str


def bar_chart(*, title: str, rows: list[tuple[str, list[Segment]]], legend: list[tuple[str, str]] = ()) -> SafeString:
    """Horizontal bars, one per row, each made of stacked segments; the total is printed after."""
    maximum = max((sum((s.value for s in segs), Decimal(0)) for _, segs in rows), default=Decimal(0))
    legend_height = ROW_HEIGHT if legend else 0
    height = 26 + legend_height + ROW_HEIGHT * max(len(rows), 1)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" font-family="DejaVu Sans, sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>",
             f'<text x="0" y="14" font-size="12" font-weight="bold" fill="#1d2730">'
             f"{escape(shorten(title, TITLE_CHARS, placeholder='…'))}</text>"]
    y = 26
    if legend:
        x = 0
        for label, colour in legend:
            parts.append(f'<rect x="{x}" y="{y + 4}" width="10" height="10" fill="{colour}"/>')
            parts.append(f'<text x="{x + 14}" y="{y + 13}" fill="#1d2730">{escape(label)}</text>')
            x += 24 + 7 * len(label)
        y += legend_height
    for label, segments in rows:
        parts.append(f'<text x="0" y="{y + 14}" fill="#1d2730">{escape(label[:28])}</text>')
        x = Decimal(LABEL_WIDTH)
        total = Decimal(0)
        for segment in segments:
            length = Decimal(0) if not maximum else segment.value * BAR_WIDTH / maximum
            if length > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{length:.1f}" height="{ROW_HEIGHT - 7}" '
                             f'fill="{segment.colour}"><title>{escape(segment.title)}</title></rect>')
            x += length
            total += segment.value
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 14}" fill="#1d2730">'
                     f"{escape(format_number(total))}</text>")
        y += ROW_HEIGHT
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


# More jamoats than this and the status chart has a bar per district: 400 bars read as none
# (and weigh 200 KB); the table and the indicator pages still give every jamoat.
MAX_JAMOAT_BARS = 40


def status_by_jamoat_chart(progress: ProgrammeProgress, title: str, *, by_district: bool = False) -> SafeString:
    """How many indicators each jamoat (or district: the sum of its jamoats) has achieved, is on
    track for, or is behind on."""
    place = (lambda jamoat: jamoat.district) if by_district else (lambda jamoat: jamoat)
    places = list(dict.fromkeys(place(jamoat) for jamoat in progress.jamoats))
    counts = {p.pk: {ACHIEVED: 0, ON_TRACK: 0, BEHIND: 0} for p in places}
    for row in progress.rows:
        for jamoat_row in row.jamoats:
            if jamoat_row.progress.status in (ACHIEVED, ON_TRACK, BEHIND):
                counts[place(jamoat_row.jamoat).pk][jamoat_row.progress.status] += 1
    rows = [(str(p), [Segment(Decimal(counts[p.pk][s]), COLOURS[s], f"{STATUS_LABELS[s]}: "
                              f"{counts[p.pk][s]}") for s in (ACHIEVED, ON_TRACK, BEHIND)])
            for p in places]
    legend = [(str(STATUS_LABELS[s]), COLOURS[s]) for s in (ACHIEVED, ON_TRACK, BEHIND)]
    return bar_chart(title=title, rows=rows, legend=legend)


def region_charts(progress: ProgrammeProgress) -> list[SafeString]:
    """One chart per indicator with data: its actual to date in each region."""
    charts = []
    for row in progress.rows:
        if not row.has_source or not row.by_region:
            continue
        rows = [(region, [Segment(value, COLOURS["value"], f"{region}: {format_number(value)}")])
                for region, value in row.by_region]
        charts.append(bar_chart(title=str(row.indicator), rows=rows))
    return charts
