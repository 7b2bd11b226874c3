"""Validators: the rule registry run over an extraction.

``validate(values, prose, meta, template, text)`` returns the findings about the report (its own
numbers disagree); doubts about the extraction come from the extractors and are kept apart by
their ``category``. ``validate_years(current, previous)`` checks one agency's report against its
report of the year before.
"""

from __future__ import annotations

from extractor.rules import checks as _checks  # noqa: F401  (registers the check functions)
from extractor.rules import cross_year, identities, metadata
from extractor.rules.registry import CHECKS, PREVIOUS, RULES, Context, Rule, rules_for, run
from schemas.results import Finding, ReportMeta, Result, Value

identities.register()
metadata.register()
cross_year.register()

_ORDER = {"error": 0, "warning": 1, "info": 2}


def validate(values: dict[str, Value], prose: dict[str, Value] | None = None, meta: ReportMeta | None = None,
             template: str | None = None, text: str = "") -> list[Finding]:
    """Run every rule of the template; findings sorted errors first."""
    with_meta = meta is not None  # metadata rules need the detected metadata
    meta = meta or ReportMeta()
    template = template or meta.template
    if template is None:
        return []
    ctx = Context(template=template, values=values, prose=prose or {}, meta=meta, text=text)
    found = [f for f in run(ctx) if with_meta or f.kind != "metadata"]
    return sorted(found, key=lambda f: _ORDER.get(f.severity, 3))


def validate_years(current: Result, previous: Result) -> list[Finding]:
    """The cross-year findings of ``current`` against ``previous``, the same agency's report a year before.

    Keys read from the earlier report carry the ``PREVIOUS`` prefix in the findings.
    """
    if current.template is None or previous.template is None:
        return []
    before = Context(template=previous.template, values=previous.values, meta=previous.meta,
                     sketch=previous.document.text_sketch)
    ctx = Context(template=current.template, values=current.values, meta=current.meta, previous=before,
                  sketch=current.document.text_sketch)
    return sorted(run(ctx), key=lambda f: _ORDER.get(f.severity, 3))


__all__ = ["CHECKS", "PREVIOUS", "RULES", "Context", "Rule", "rules_for", "validate", "validate_years"]
