"""Validators: the rule registry run over an extraction.

``validate(values, prose, meta, template, text)`` returns the findings about the report (its own
numbers disagree); doubts about the extraction come from the extractors and are kept apart by
their ``category``.
"""

from __future__ import annotations

from extractor.rules import checks as _checks  # noqa: F401  (registers the check functions)
from extractor.rules import identities, metadata
from extractor.rules.registry import CHECKS, RULES, Context, Rule, rules_for, run
from schemas.results import Finding, ReportMeta, Value

identities.register()
metadata.register()


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
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda f: order.get(f.severity, 3))


__all__ = ["CHECKS", "RULES", "Context", "Rule", "rules_for", "validate"]
