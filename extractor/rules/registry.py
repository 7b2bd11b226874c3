"""The rule registry: every check is a data record, evaluated by a check function named in it.

A rule says which templates it applies to, its kind (sum identity, inequality, range, prose
against table, metadata), its severity, a Chinese title and the keys it involves. Check functions
are registered once per *form* of rule ("lhs == rhs", "each part ≤ total", "prose equals table"…),
so adding a rule is adding a record, not a branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol

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

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k.lstrip("-") for k in (*self.lhs, *self.rhs))

    def param(self, name: str, default: object = None) -> object:
        return dict(self.params).get(name, default)


@dataclass(slots=True)
class Context:
    """What rules read: the values, the prose figures, the metadata and the document text."""

    template: str
    values: dict[str, Value]
    prose: dict[str, Value] = field(default_factory=dict)
    meta: ReportMeta = field(default_factory=ReportMeta)
    text: str = ""

    def number(self, key: str) -> Number | None:
        v = self.values.get(key)
        return v.value if v is not None and v.status == "number" else None

    def status(self, key: str) -> str:
        v = self.values.get(key)
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


def rules_for(template: str | None) -> Iterator[Rule]:
    for r in RULES:
        if template in r.templates:
            yield r


def run(ctx: Context) -> list[Finding]:
    """Every finding of every rule that applies to the context's template."""
    out: list[Finding] = []
    for rule in rules_for(ctx.template):
        out.extend(CHECKS[rule.check](rule, ctx))
    return out
