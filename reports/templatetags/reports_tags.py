from django import template

from reports.computations import REGISTRY
from reports.kinds import REPORTS
from reports.selectors import format_number

register = template.Library()


@register.filter
def figure(value) -> str:
    """A number as every page, PDF and spreadsheet label prints it (1,500 · 126,000.50)."""
    return format_number(value)


@register.filter
def report_title(job) -> str:
    report = REPORTS.get(job.kind)
    return str(report.verbose_name) if report else job.kind


@register.filter
def computation_label(indicator) -> str:
    item = REGISTRY.get(indicator.computation)
    if item is None:
        return indicator.computation
    return str(item.description)


@register.filter
def pct(value) -> str:
    """A percent with a point in every language, so the PDF and the API read the same."""
    return "—" if value is None else f"{value}%"


@register.filter
def sex_label(code: str) -> str:
    from households.models import Member

    return str(dict(Member.Sex.choices).get(code, code))
