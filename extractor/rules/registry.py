"""The rule registry: every check is a data record, evaluated by a check function named in it.

A rule says which templates it applies to, its kind (sum identity, inequality, range, prose
against table, metadata), its severity, a Chinese title and the keys it involves. Check functions
are registered once per *form* of rule ("lhs == rhs", "each part ≤ total", "prose equals table"…),
so adding a rule is adding a record, not a branch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas import catalog
from schemas.results import Finding, Number, ReportMeta, Value


@dataclass(frozen=True, slots=True)
class Rule:
    id: str  # the family, e.g. "t3.balance"; findings carry it
    templates: frozenset[str]
    kind: str  # sum | inequality | range | prose | metadata | cross_year
    check: str  # name of the check function
    title: str  # Chinese, shown with every finding
    severity: str = "error"
    lhs: tuple[str, ...] = ()  # keys; a leading "-" subtracts
    rhs: tuple[str, ...] = ()
    variant: str = ""  # e.g. the column of a per-column identity
    params: tuple[tuple[str, object], ...] = ()
    source: str = ""  # where the rule comes from (research/templates.md section C id)
    table_forms: frozenset[str] = frozenset()  # the old table's forms it applies to (empty: every form)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k.lstrip("-") for k in (*self.lhs, *self.rhs))

    def param(self, name: str, default: Any = None) -> Any:
        """A parameter of the rule's registry entry (a number, a label, pairs of keys: data, so Any)."""
        return dict(self.params).get(name, default)


PREVIOUS = "上年报告:"  # a key with this prefix is read from the same agency's previous-year report


@dataclass(slots=True)
class Context:
    """What rules read: the values, the prose figures, the metadata and the document text.

    ``previous`` is the same agency's report of the year before, set only when cross-year rules run;
    their keys name its values with the ``PREVIOUS`` prefix.
    """

    template: str
    values: dict[str, Value]
    prose: dict[str, Value] = field(default_factory=dict)
    meta: ReportMeta = field(default_factory=ReportMeta)
    text: str = ""
    previous: Context | None = None
    sketch: list[int] = field(default_factory=list)  # of the narrative, for cross-year rules (extractor/sketch.py)

    @property
    def table_form(self) -> str | None:
        """The form of the tables the values come from (the old table: national or provincial)."""
        return catalog.table_form(self.template, self.values)

    def value(self, key: str) -> Value | None:
        if key.startswith(PREVIOUS):
            return self.previous.values.get(key[len(PREVIOUS):]) if self.previous is not None else None
        return self.values.get(key)

    def number(self, key: str) -> Number | None:
        v = self.value(key)
        return v.value if v is not None and v.status == "number" else None

    def status(self, key: str) -> str:
        v = self.value(key)
        return v.status if v is not None else "missing"


class Check(Protocol):
    def __call__(self, rule: Rule, ctx: Context) -> Iterable[Finding]: ...


CHECKS: dict[str, Check] = {}
RULES: list[Rule] = []


def check(name: str) -> Callable[[Check], Check]:
    """Register a check function under a name rules refer to."""

    def deco(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return deco


def add(*rules: Rule) -> None:
    RULES.extend(rules)


def rules_for(template: str | None, table_form: str | None = None) -> Iterator[Rule]:
    """The rules of a template (and, given, of that form of its tables)."""
    for r in RULES:
        if template in r.templates and (not r.table_forms or table_form is None or table_form in r.table_forms):
            yield r


def run(ctx: Context) -> list[Finding]:
    """Every finding of every rule that applies to the context's template.

    Cross-year rules run only when the context carries the previous year's report, and then only they do.
    """
    out: list[Finding] = []
    for rule in rules_for(ctx.template, ctx.table_form or "national"):
        if (rule.kind == "cross_year") == (ctx.previous is not None):
            out.extend(CHECKS[rule.check](rule, ctx))
    return out
