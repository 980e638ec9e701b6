from django import template

from reports.computations import REGISTRY
from reports.kinds import REPORTS
from reports.selectors import format_decimal, format_number

register = template.Library()


@register.filter
def figure(value) -> str:
    """A number as every page, PDF and spreadsheet label prints it, in the page's language
    (en 1,500 · 126,000.50; tg/ru 1 500 · 126 000,50)."""
    return format_number(value)


@register.filter
def money(value) -> str:
    """An amount with its two decimals, in the page's language."""
    return format_decimal(value, 2)


@register.filter
def rate(value) -> str:
    """An exchange rate with four decimals, in the page's language."""
    return format_decimal(value, 4)


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
    """A percent in the page's language (12.5% · 12,5%), the same in the PDF and on the page."""
    return "—" if value is None else f"{format_decimal(value, 1)}%"


@register.filter
def sex_label(code: str) -> str:
    from households.models import Member

    return str(dict(Member.Sex.choices).get(code, code))


@register.filter
def localized(obj) -> str:
    """A stored name (fund, MHA, project, programme) in the page's language."""
    from reports.asof import localized as name

    return name(obj)
