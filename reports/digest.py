"""The figures of a report as plain data, and their digest.

The digest is a SHA-256 of the figures in canonical JSON, independent of the language, of who
asked and of when: two editions of the same report (kind, period, scope) with the same digest
print the same numbers. It is stored on the job, and a later edition that differs says so.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal


def _n(value) -> str | None:
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal("0.01")))


def _progress(progress) -> list:
    target = progress.target
    return [None if target is None else _n(target.low), None if target is None else _n(target.high),
            _n(progress.period_actual), _n(progress.actual), _n(progress.percent), progress.status]


def report_figures(data) -> dict:
    """Every figure the report prints, keyed by stable codes and ids (no translated text)."""
    finance = data.money.finance
    return {
        "indicators": {row.code: {"all": _progress(row.progress),
                                  "jamoats": {str(jr.jamoat.pk): _progress(jr.progress) for jr in row.jamoats},
                                  "by_sex": {k: _n(v) for k, v in sorted((row.by_sex or {}).items())}}
                       for row in data.progress.rows},
        "raised": [[r.currency, _n(r.original), _n(r.eur), r.entries] for r in finance.raised],
        "raised_eur": _n(finance.raised_eur),
        "rates": [[r["amount_currency"], r["rate_date"].isoformat(), str(r["rate"]), str(r["eur_rate"]), r["n"]]
                  for r in finance.rates],
        "match": [[m.window.code, _n(m.committed_eur), _n(m.committed_in_period_eur), _n(m.released_eur),
                   _n(m.released_in_period_eur), _n(m.remaining_eur)] for m in data.match],
        "projects": [[p.project.pk, p.status, p.photos, p.project.beneficiary_households] for p in data.projects],
        "outreach": {key: _n(value) for key, value in sorted(data.outreach.items())},
        "survey": [[g.region.pk, g.interviews, g.receiving] for g in data.research],
        "funds": [[f.fund.pk, _n(f.tjs), _n(f.eur), [[c, _n(a)] for c, a in f.by_currency]] for f in data.funds],
    }


def figures_digest(figures: dict) -> str:
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def figures_changed(before: dict, after: dict) -> list[str]:
    """The top-level sections whose figures differ between two editions."""
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
