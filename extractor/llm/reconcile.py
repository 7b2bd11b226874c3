"""Merge the table reader's and the model's readings field by field.

Agreement keeps the reader's value with both pieces of evidence; a conflict keeps the reader's value
(it is tied to a cell), records the model's in ``other`` and asks a person through an extraction
finding; a value only one side read stands, marked ``rules_only`` or ``llm_only`` (a number the model gave
that is printed nowhere in its row stays held back for a person). A table the reader found nothing of is the
model's alone, and says so.
"""

from __future__ import annotations

from schemas import catalog
from schemas.results import Extraction, Finding, Number, Value


def same(a: Number | None, b: Number | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


def _label(key: str) -> str:
    spec = catalog.BY_KEY.get(key)
    return f"{catalog.TABLE_TITLES.get(spec.table, '')[:2]}“{spec.label}”" if spec else key


def _reading(v: Value) -> Number | None:
    """What the model read: its value, or the number it gave that is printed nowhere in the row (held back)."""
    return v.choices[0] if v.value is None and not v.grounded and v.choices else v.value


def reconcile(reader: Extraction, llm: Extraction) -> tuple[dict[str, Value], list[Finding]]:
    """Values by key with their ``agreement``, and the findings the merge raises (conflicts, lone tables)."""
    values: dict[str, Value] = {}
    findings: list[Finding] = []
    keys = list(reader.values) + [k for k in llm.values if k not in reader.values]
    for key in keys:
        r, m = reader.values.get(key), llm.values.get(key)
        if r is not None and m is not None:
            model = _reading(m)
            if same(r.value, model):
                values[key] = r.model_copy(update={"agreement": "agreed", "evidence": [*r.evidence, *m.evidence]})
                continue
            values[key] = r.model_copy(update={"agreement": "conflict", "other": model,
                                               "evidence": [*r.evidence, *m.evidence]})
            shown_r = "空白" if r.value is None else r.value
            shown_m = "空白" if model is None else model
            findings.append(Finding(
                rule="extract.conflict", kind="extraction", category="extraction", severity="warning",
                message=f"{_label(key)}：表格读取为 {shown_r}，模型读取为 {shown_m}，请人工核对",
                keys=[key], expected=r.value, actual=model,
                evidence={key: [*r.evidence, *m.evidence]},
                detail={"rules": r.value, "llm": model, "llm_grounded": m.grounded},
            ))
        elif r is not None:
            values[key] = r.model_copy(update={"agreement": "rules_only"})
        elif m is not None:
            values[key] = m.model_copy(update={"agreement": "llm_only"})
    return values, findings


def lone_tables(reader: Extraction, llm: Extraction) -> list[str]:
    """Tables of which the reader read nothing and the model read something."""
    def tables(ex: Extraction) -> set[str]:
        return {catalog.BY_KEY[k].table for k in ex.values if k in catalog.BY_KEY}

    return sorted(tables(llm) - tables(reader))


__all__ = ["lone_tables", "reconcile", "same"]
