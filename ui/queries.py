"""Read-only questions the pages ask the database: how the store has changed, and the 数据 page's aggregates.

The data page must stay under a second with 10,000 reports in the store, so every sum and count is
made by the database (SQLite's or PostgreSQL's JSON functions over the confirmed values), tables
are read a page at a time, and pages cache their answers under :func:`store_version`, which changes
whenever anything a page shows could have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.sql.elements import ColumnElement

from extractor.store import Store
from extractor.store import models as m
from schemas import catalog


def store_version(store: Store) -> tuple[int, ...]:
    """Largest ids of every table the pages read: equal tuples, nothing shown has changed."""
    ids = (m.Document.id, m.ExtractionVersion.id, m.Edit.id, m.FindingDecision.id, m.ReviewEvent.id)
    with store.engine.connect() as conn:
        row = conn.execute(select(*[select(func.max(c)).scalar_subquery() for c in ids])).one()
    return tuple(int(x or 0) for x in row)


@dataclass(frozen=True)
class DataFilter:
    year: int | None = None
    agency: str | None = None
    template: str | None = None


def _value(key: str) -> ColumnElement[Any]:
    """A confirmed value as a number, read by the database from the JSON (NULL when blank or absent)."""
    return m.Review.confirmed_values[key].as_float()


def _confirmed(f: DataFilter, *cols: Any):
    E, D, R = m.ExtractionVersion, m.Document, m.Review
    q = (select(*cols).select_from(R).join(D, D.id == R.document_id).join(E, E.id == R.confirmed_extraction_id)
         .where(R.state == "confirmed"))
    if f.year is not None:
        q = q.where(E.year == f.year)
    if f.agency:
        q = q.where(E.agency == f.agency)
    if f.template:
        q = q.where(E.template == f.template)
    return q


def confirmed_facets(store: Store) -> dict[str, list]:
    """Years, agencies and templates among the confirmed reports (for the filters)."""
    E = m.ExtractionVersion
    out: dict[str, list] = {}
    with store.engine.connect() as conn:
        for name, col, desc in (("year", E.year, True), ("agency", E.agency, False), ("template", E.template, False)):
            q = _confirmed(DataFilter(), col).distinct().order_by(col.desc() if desc else col)
            out[name] = [v for (v,) in conn.execute(q) if v is not None]
    return out


def confirmed_count(store: Store, f: DataFilter) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(_confirmed(f, func.count())).scalar_one())


META = ("document_id", "name", "agency", "year", "template", "reviewer", "confirmed_at")


def confirmed_rows(store: Store, f: DataFilter, keys: Sequence[str], *, offset: int = 0,
                   limit: int | None = 50) -> list[dict[str, Any]]:
    """Confirmed reports (meta columns, then ``keys``), one page, ordered by agency, year and number."""
    E, D, R = m.ExtractionVersion, m.Document, m.Review
    cols = [D.id, D.name, E.agency, E.year, E.template, R.reviewer, R.confirmed_at, R.confirmed_values]
    q = _confirmed(f, *cols).order_by(E.agency, E.year, D.id).offset(offset).limit(limit)
    out = []
    with store.engine.connect() as conn:
        for r in conn.execute(q):
            row = dict(zip(META, r[:-1]))
            values = r[-1] or {}
            row.update({k: values.get(k) for k in keys})
            out.append(row)
    return out


def _sum_of(keys: Sequence[str]) -> ColumnElement[Any]:
    """The sum of some values, NULL only when every one is blank (blank is not 0)."""
    parts = [_value(k) for k in keys]
    total = sum((func.coalesce(p, 0.0) for p in parts[1:]), func.coalesce(parts[0], 0.0))
    any_set = func.coalesce(*parts) if len(parts) > 1 else parts[0]
    return case((any_set.is_(None), None), else_=total)


def _group_total(key: str) -> ColumnElement[Any]:
    """A table 三 group total; from its items when the report prints no subtotal row."""
    table, group, col = key.split(".", 2)
    items = [f"t3.{r.id}.{col}" for r in catalog.rows("t3") if r.group == group]
    if table != "t3" or not items:
        return _value(key)
    return func.coalesce(_value(key), _sum_of(items))


RECEIVED = ("t3.本年新收.总计", "old.收到申请数")
# 依申请 outcomes: (label, keys for the 2019/2021 templates, keys for the 2008 table)
OUTCOMES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("予以公开", ("t3.予以公开.总计",), ("old.答复.已主动公开", "old.答复.同意公开")),
    ("部分公开", ("t3.部分公开.总计",), ("old.答复.部分公开",)),
    ("不予公开", ("t3.不予公开.总计",), ("old.答复.不同意公开",)),
    ("无法提供", ("t3.无法提供.总计",), ("old.答复.非本机关", "old.答复.信息不存在")),
    ("其他", ("t3.不予处理.总计", "t3.其他处理.总计"), ("old.答复.更改补充", "old.答复.其他途径", "old.答复.其他类型")),
)


def _outcome(new_keys: Sequence[str], old_keys: Sequence[str]) -> ColumnElement[Any]:
    new = [_group_total(k) for k in new_keys]
    new_sum = new[0] if len(new) == 1 else sum((func.coalesce(x, 0.0) for x in new[1:]), func.coalesce(new[0], 0.0))
    return case((m.ExtractionVersion.template == "2008", _sum_of(old_keys)), else_=new_sum)


def received_by_year(store: Store, f: DataFilter) -> list[tuple[int, float, int]]:
    """(year, applications received, reports) over the confirmed reports, by year."""
    E = m.ExtractionVersion
    received = func.coalesce(_value(RECEIVED[0]), _value(RECEIVED[1]))
    q = (_confirmed(DataFilter(agency=f.agency, template=f.template), E.year, func.sum(received), func.count())
         .where(E.year.is_not(None)).group_by(E.year).order_by(E.year))
    with store.engine.connect() as conn:
        return [(int(y), float(s or 0), int(n)) for y, s, n in conn.execute(q)]


def outcomes_by_agency(store: Store, f: DataFilter, *, limit: int = 15) -> list[dict[str, Any]]:
    """依申请 outcomes per agency for one year (the busiest ``limit`` agencies by applications handled)."""
    E = m.ExtractionVersion
    cols = [func.sum(_outcome(new, old)).label(label) for label, new, old in OUTCOMES]
    total = sum((func.coalesce(c.element, 0.0) for c in cols[1:]), func.coalesce(cols[0].element, 0.0))
    q = (_confirmed(f, E.agency, *cols).where(E.agency.is_not(None)).group_by(E.agency)
         .order_by(total.desc(), E.agency).limit(limit))
    labels = [o[0] for o in OUTCOMES]
    with store.engine.connect() as conn:
        return [{"机关": r[0], **{label: float(v or 0) for label, v in zip(labels, r[1:])}} for r in conn.execute(q)]


_FINDINGS_SQL = {
    # one row per finding of a confirmed report's extraction, with its key as finding_key() writes it:
    # the rule, "|", the keys sorted by code point (SQLite's BINARY collation, PostgreSQL's "C")
    "sqlite": """
        SELECT e.document_id AS doc, json_extract(f.value, '$.rule') AS rule,
               json_extract(f.value, '$.rule') || '|' || coalesce((
                   SELECT group_concat(k, ',') FROM (
                       SELECT j.value AS k FROM json_each(f.value, '$.keys') AS j ORDER BY j.value)), '') AS fkey
        FROM reviews AS r JOIN extractions AS e ON e.id = r.confirmed_extraction_id, json_each(e.findings) AS f
        WHERE r.state = 'confirmed' {where}""",
    "postgresql": """
        SELECT e.document_id AS doc, f.value ->> 'rule' AS rule,
               (f.value ->> 'rule') || '|' || coalesce((
                   SELECT string_agg(k, ',' ORDER BY k COLLATE "C")
                   FROM jsonb_array_elements_text(f.value -> 'keys') AS k), '') AS fkey
        FROM reviews AS r JOIN extractions AS e ON e.id = r.confirmed_extraction_id,
             jsonb_array_elements(e.findings::jsonb) AS f(value)
        WHERE r.state = 'confirmed' {where}""",
}


def findings_by_rule(store: Store, f: DataFilter) -> list[tuple[str, int]]:
    """(rule, findings) over the confirmed reports' extractions, findings whose last decision is 驳回 left out."""
    where, params = [], {}
    for name, value in (("year", f.year), ("agency", f.agency), ("template", f.template)):
        if value is not None and value != "":
            where.append(f"AND e.{name} = :{name}")
            params[name] = value
    found = _FINDINGS_SQL[store.engine.dialect.name].format(where=" ".join(where))
    sql = f"""
        WITH found AS ({found}),
             last AS (SELECT document_id, finding_key, max(id) AS id FROM finding_decisions
                      GROUP BY document_id, finding_key)
        SELECT found.rule, count(*) FROM found
        LEFT JOIN last ON last.document_id = found.doc AND last.finding_key = found.fkey
        LEFT JOIN finding_decisions AS d ON d.id = last.id
        WHERE d.decision IS NULL OR d.decision <> 'dismissed'
        GROUP BY found.rule ORDER BY count(*) DESC, found.rule"""
    with store.engine.connect() as conn:
        return [(str(r), int(n)) for r, n in conn.execute(text(sql), params)]


__all__ = ["META", "OUTCOMES", "DataFilter", "confirmed_count", "confirmed_facets", "confirmed_rows",
           "findings_by_rule", "outcomes_by_agency", "received_by_year", "store_version"]
