"""Splitting run-together digits by the whole table's arithmetic.

Where a row's cells ran together ("640020470" for 64 / 0 / 0 / 2 / 0 / 4 / 70), each row offers
the readings its own identity allows; which one the report printed is decided by every identity
of the table at once: table 三's column sums and balance, table 四's group totals, the old table's
parts against their whole and 历年累计 against the year's figure, table 二's stock. The identities
are the rule registry's own (one source of truth): the sums and inequalities a report must keep.

A reading is accepted only where the evidence decides it: every solution of the identities agrees
on it. An identity that no reading can satisfy is the report's own error (the validators report
it) and is left out of the deciding; a figure the narrative restates breaks a remaining tie. What
is still open goes to a person with its candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import product

from extractor.rules import RULES
from extractor.rules.registry import Rule

Number = int | float
Candidate = tuple[Number | None, ...]
MAX_SOLUTIONS = 400
MAX_NODES = 300_000
_CHECKS = ("equal", "at_least", "at_most", "each_at_most")


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    sign: int
    optional: bool


@dataclass(frozen=True, slots=True, eq=False)
class Constraint:
    """One identity over cells: sum(lhs) (=, ≥, ≤) sum(rhs), or every rhs ≤ lhs.

    Compared and hashed by identity: each comes once from the rule registry, and the reader
    gathers them into sets per row, where hashing every term of a frozen tuple cost more than the row."""

    rule: str
    relation: str
    lhs: tuple[Term, ...]
    rhs: tuple[Term, ...]
    keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", frozenset(t.key for t in (*self.lhs, *self.rhs)))

    def holds(self, get) -> bool:
        """Whether the identity holds; True when it cannot be evaluated (a cell not printed)."""
        sides = []
        for terms in (self.lhs, self.rhs):
            total: float = 0
            numbers = 0
            for t in terms:
                v = get(t.key)
                if v is _ABSENT:
                    if t.optional:
                        continue
                    return True
                if v is not None:
                    total += t.sign * v
                    numbers += 1
            sides.append((total, numbers))
        (lt, ln), (rt, rn) = sides
        if self.relation == "equal":
            if len(self.lhs) == 1 and ln == 0:
                return True  # a blank total constrains nothing
            return abs(lt - rt) < 1e-6
        if ln == 0 or rn == 0:
            return True
        if self.relation == "at_least":
            return lt >= rt - 1e-6
        if self.relation == "at_most":
            return lt <= rt + 1e-6
        # each_at_most: every rhs term ≤ the lhs total
        for t in self.rhs:
            v = get(t.key)
            if v is not _ABSENT and v is not None and v > lt + 1e-6:
                return False
        return True


ABSENT = object()  # a cell the report does not print
_ABSENT = ABSENT


def _terms(keys: Iterable[str]) -> tuple[Term, ...]:
    out = []
    for k in keys:
        optional = k.startswith("?")
        k = k.lstrip("?")
        sign = -1 if k.startswith("-") else 1
        out.append(Term(k.lstrip("-"), sign, optional))
    return tuple(out)


def deciding(rule: Rule) -> bool:
    """Whether a rule's identity may decide a split: the report's hard arithmetic, not a habit."""
    if rule.check not in _CHECKS or rule.kind not in ("sum", "inequality"):
        return False
    return bool(rule.param("decides", rule.severity == "error"))


def constraints_for(template: str, table_form: str | None = None) -> list[Constraint]:
    """The identities of a template (and form of its tables) that decide splits."""
    return list(_constraints(template, table_form or "national", len(RULES)))


@cache
def _constraints(template: str, form: str, _registered: int) -> tuple[Constraint, ...]:
    out = []
    for rule in RULES:
        if template in rule.templates and deciding(rule) and (not rule.table_forms or form in rule.table_forms):
            out.append(Constraint(rule.id, rule.check, _terms(rule.lhs), _terms(rule.rhs)))
    return tuple(out)


_YEAR_CHECKS = {"years_equal": "equal", "years_at_least": "at_least"}


def cross_year_constraints(template: str, previous_template: str) -> list[Constraint]:
    """The cross-year identities (this year's figures against last year's report, its keys prefixed
    ``上年报告:``): with last year's report at hand, evidence for a split this year's report leaves open."""
    out = []
    for rule in RULES:
        relation = _YEAR_CHECKS.get(rule.check)
        if relation and template in rule.templates and previous_template in (rule.param("previous") or ()):
            out.append(Constraint(rule.id, relation, _terms(rule.lhs), _terms(rule.rhs)))
    return out


@dataclass
class Row:
    """A row's keys and the readings of its printed digits still possible."""

    keys: tuple[str, ...]
    candidates: list[Candidate]
    fixed_by: str = ""  # how the reading was decided when it was (identities, prose)
    notes: list[str] = field(default_factory=list)


def solve(rows: list[Row], constraints: list[Constraint], prose: dict[str, Number] | None = None) -> None:
    """Narrow every row's candidates to those some solution of the table's identities uses (in place)."""
    prose = prose or {}
    fixed: dict[str, Number | None] = {}
    present: set[str] = set()
    for r in rows:
        if r.candidates:
            present.update(r.keys)
        if len(r.candidates) == 1:
            fixed.update(zip(r.keys, r.candidates[0]))
    amb = [i for i, r in enumerate(rows) if len(r.candidates) > 1]
    if not amb:
        return
    owner = {k: i for i in amb for k in rows[i].keys}
    live = []
    for c in constraints:
        rows_of = {owner[k] for k in c.keys if k in owner}
        if rows_of and all(t.optional or t.key in present for t in (*c.lhs, *c.rhs)):
            live.append((c, rows_of))
    for component in _components(amb, live):
        cons = [(c, rs) for c, rs in live if rs <= component]
        solutions = _search(rows, sorted(component, key=lambda i: len(rows[i].candidates)), cons, fixed)
        if solutions == []:
            broken = [c for c, rs in cons if not _satisfiable(rows, c, rs, fixed)]
            if broken:
                cons = [(c, rs) for c, rs in cons if c not in broken]
                solutions = _search(rows, sorted(component, key=lambda i: len(rows[i].candidates)), cons, fixed)
        if not solutions:
            continue  # none or too many to tell: left to a person
        if len(solutions) > 1 and prose:
            told = [s for s in solutions if _agrees_with_prose(rows, s, prose)]
            if told:
                solutions = told
                for i in component:
                    rows[i].fixed_by = "prose"
        for i in component:
            kept = list(dict.fromkeys(s[i] for s in solutions))
            if len(kept) < len(rows[i].candidates):
                rows[i].candidates = kept
                rows[i].fixed_by = rows[i].fixed_by or "identities"


def _components(amb: list[int], live: list[tuple[Constraint, set[int]]]) -> list[set[int]]:
    parent = {i: i for i in amb}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _, rs in live:
        first, *rest = sorted(rs)
        for j in rest:
            parent[find(j)] = find(first)
    groups: dict[int, set[int]] = {}
    for i in amb:
        groups.setdefault(find(i), set()).add(i)
    return list(groups.values())


def _search(rows: list[Row], order: list[int], cons: list[tuple[Constraint, set[int]]],
            fixed: dict[str, Number | None]) -> list[dict[int, Candidate]] | None:
    """Every assignment of the rows' candidates that keeps the identities; None when too many to tell."""
    at: dict[int, list[Constraint]] = {}
    position = {i: n for n, i in enumerate(order)}
    for c, rs in cons:
        at.setdefault(max(position[i] for i in rs), []).append(c)
    values: dict[str, Number | None] = dict(fixed)
    chosen: dict[int, Candidate] = {}
    out: list[dict[int, Candidate]] = []
    nodes = 0

    def get(key: str):
        return values.get(key, _ABSENT)

    def walk(n: int) -> bool:
        nonlocal nodes
        if n == len(order):
            out.append(dict(chosen))
            return len(out) < MAX_SOLUTIONS
        i = order[n]
        for cand in rows[i].candidates:
            nodes += 1
            if nodes > MAX_NODES:
                return False
            values.update(zip(rows[i].keys, cand))
            chosen[i] = cand
            if all(c.holds(get) for c in at.get(n, ())) and not walk(n + 1):
                return False
        for k in rows[i].keys:
            values.pop(k, None)
        chosen.pop(i, None)
        return True

    finished = walk(0)
    return out if finished else None


def _satisfiable(rows: list[Row], c: Constraint, rs: set[int], fixed: dict[str, Number | None]) -> bool:
    """Whether any reading of the rows one identity touches satisfies it alone."""
    idx = sorted(rs)
    count = 1
    for i in idx:
        count *= len(rows[i].candidates)
    if count > 50_000:
        return True
    values: dict[str, Number | None] = dict(fixed)
    for combo in product(*(rows[i].candidates for i in idx)):
        for i, cand in zip(idx, combo):
            values.update(zip(rows[i].keys, cand))
        if c.holds(lambda k: values.get(k, _ABSENT)):
            return True
    return False


def _agrees_with_prose(rows: list[Row], solution: dict[int, Candidate], prose: dict[str, Number]) -> bool:
    hit = False
    for i, cand in solution.items():
        for k, v in zip(rows[i].keys, cand):
            if k in prose:
                if v is None or abs(v - prose[k]) > 1e-9:
                    return False
                hit = True
    return hit


__all__ = ["ABSENT", "Candidate", "Constraint", "Number", "Row", "constraints_for", "cross_year_constraints", "deciding", "solve"]
