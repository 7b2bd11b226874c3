"""Scoring one extraction against its gold file, and adding scores up by any dimension."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from schemas.results import Finding, Result


def same(a: Any, b: Any) -> bool:
    """Gold equality: None only equals None; numbers compare as numbers (as tools/score.py does)."""
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return str(a).strip() == str(b).strip()


def finding_matches(expected: dict[str, Any], found: Finding) -> bool:
    """An expected finding is raised by a finding of the same rule that names one of its keys."""
    if found.rule != expected.get("rule"):
        return False
    keys = set(expected.get("keys") or [])
    return not keys or bool(keys & set(found.keys))


@dataclass
class CaseScore:
    slug: str
    template: str
    layout: str
    extractor: str
    origin: str = "repo"
    total: int = 0
    right: int = 0
    wrong: int = 0
    missing: int = 0
    undecided: int = 0  # of the missing: left to a person with candidates that hold the printed value
    invented: int = 0
    expected_findings: int = 0
    raised: int = 0
    false_findings: int = 0
    clean: bool = True
    seconds: float = 0.0
    tokens: int = 0
    error: str | None = None
    keys: dict[str, str] = field(default_factory=dict)  # key -> right | wrong | missing | invented
    missed: list[dict[str, Any]] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.error is None and self.right == self.total and self.invented == 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["exact"] = self.exact
        return d


def score_case(result: Result | None, gold: dict[str, Any], expected: Iterable[dict[str, Any]], *, slug: str,
               template: str, layout: str, extractor: str, origin: str = "repo", error: str | None = None
               ) -> CaseScore:
    """Right, wrong, missing and invented values; expected findings raised and false ones."""
    values: dict[str, Any] = gold.get("values", {})
    expected = list(expected)
    s = CaseScore(slug, template, layout, extractor, origin, total=len(values), expected_findings=len(expected),
                  clean=not expected, error=error)
    if result is None:
        s.missing = len(values)
        s.keys = dict.fromkeys(values, "missing")
        s.missed = expected
        return s
    flat = result.flat()
    undecided = {k for k, v in result.values.items() if v.value is None and v.status == "text"}
    for key, gv in values.items():
        if key not in flat or key in undecided:  # an ambiguous split left for a person is not a wrong value
            s.missing += 1
            s.keys[key] = "missing"
            v = result.values.get(key)
            if v is not None and any(gv in c for c in v.candidates):
                s.undecided += 1
        elif same(flat[key], gv):
            s.right += 1
            s.keys[key] = "right"
        else:
            s.wrong += 1
            s.keys[key] = "wrong"
    for key, v in flat.items():
        if key not in values and v is not None:
            s.invented += 1
            s.keys[key] = "invented"
    report = [f for f in result.findings if f.category == "report" and f.severity in ("error", "warning")]
    for exp in expected:
        if any(finding_matches(exp, f) for f in report):
            s.raised += 1
        else:
            s.missed.append(exp)
    for f in report:
        if not any(finding_matches(exp, f) for exp in expected):
            s.false_findings += 1
            s.false.append(f"{f.rule}:{','.join(f.keys[:2])}")
    s.seconds = result.seconds
    s.tokens = result.usage.prompt_tokens + result.usage.completion_tokens
    return s


@dataclass
class Totals:
    cases: int = 0
    total: int = 0
    right: int = 0
    wrong: int = 0
    missing: int = 0
    undecided: int = 0
    invented: int = 0
    exact: int = 0
    expected_findings: int = 0
    raised: int = 0
    clean_cases: int = 0
    false_on_clean: int = 0
    errors: int = 0
    seconds: float = 0.0
    tokens: int = 0

    @property
    def accuracy(self) -> float:
        return 100.0 * self.right / self.total if self.total else 0.0

    @property
    def unread(self) -> int:
        """Values neither read nor left to a person with the right candidate: the reader's own misses."""
        return self.missing - self.undecided

    @property
    def recall(self) -> float:
        return 100.0 * self.raised / self.expected_findings if self.expected_findings else 100.0

    @property
    def exact_rate(self) -> float:
        return 100.0 * self.exact / self.cases if self.cases else 0.0

    def add(self, s: CaseScore) -> None:
        self.cases += 1
        self.total += s.total
        self.right += s.right
        self.wrong += s.wrong
        self.missing += s.missing
        self.undecided += s.undecided
        self.invented += s.invented
        self.exact += int(s.exact)
        self.expected_findings += s.expected_findings
        self.raised += s.raised
        if s.clean:
            self.clean_cases += 1
            self.false_on_clean += s.false_findings
        self.errors += int(s.error is not None)
        self.seconds += s.seconds
        self.tokens += s.tokens

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(accuracy=round(self.accuracy, 2), recall=round(self.recall, 2), exact_rate=round(self.exact_rate, 2),
                 seconds_per_report=round(self.seconds / self.cases, 3) if self.cases else 0.0,
                 tokens_per_report=round(self.tokens / self.cases, 1) if self.cases else 0.0)
        return d


def group(scores: Iterable[CaseScore], *dims: str) -> dict[tuple[str, ...], Totals]:
    """Totals by any combination of case dimensions (template, layout, extractor, origin)."""
    out: dict[tuple[str, ...], Totals] = defaultdict(Totals)
    for s in scores:
        out[tuple(str(getattr(s, d)) for d in dims)].add(s)
    return dict(sorted(out.items()))


def by_key(scores: Iterable[CaseScore], level: str = "key") -> dict[str, dict[str, int]]:
    """Counts of right/wrong/missing/invented per key, or per table (level="table")."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"right": 0, "wrong": 0, "missing": 0, "invented": 0})
    for s in scores:
        for key, verdict in s.keys.items():
            name = key.split(".", 1)[0] if level == "table" else key
            out[name][verdict] += 1
    return dict(sorted(out.items()))
