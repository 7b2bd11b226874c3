"""The findings of a report as the reviewer sees them now: ids, Chinese titles, equations, state.

A finding is known by its id (a hash of its rule and keys, stable across reruns and extraction
versions), never by its label. Its title names the rows (``表四 行政复议：总计 ≠ 结果维持＋…``), not the
rule id, so two findings of one rule are told apart; its equation is written with the current
numbers (``0 ≠ 11+0+0+0 = 11``). The list is recomputed on the edited values: findings an edit
settled are marked, findings an edit raised are added, and the errors still open are what a
confirmation must answer for. A cell the extractor held back (a doubtful OCR digit, an ambiguous split)
is settled once a person has given it a value (ui/picks.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from extractor.rules import RULES, validate
from extractor.rules.registry import PREVIOUS, Rule
from extractor.store import FindingDecisionRow, finding_key_of
from schemas.results import Finding, Number, Result
from ui.form_view import cell_name
from ui.picks import settled_by_pick

TABLE_NAMES: dict[str, str] = {"t2": "表二", "t3": "表三", "t4": "表四", "old": "统计表", "prose": "正文", "meta": "报告"}
_RULES: dict[str, list[Rule]] = {}
for _r in RULES:
    _RULES.setdefault(_r.id, []).append(_r)


def finding_id(f: Finding) -> str:
    """A short stable id: what the URL, the widgets and the keyboard use."""
    return hashlib.sha1(finding_key_of(f).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class FindingView:
    """One finding with what the page needs to show and settle it."""

    id: str
    finding: Finding
    title: str
    equation: str
    decision: FindingDecisionRow | None = None
    settled_by_edit: bool = False  # the rules no longer raise it on the edited values
    raised_by_edit: bool = False  # the rules raise it only on the edited values
    cross_year: bool = False  # against last year's report (computed at review time)

    @property
    def severity(self) -> str:
        return self.finding.severity

    @property
    def open(self) -> bool:
        """Still to be answered: neither decided nor settled by an edit."""
        return self.decision is None and not self.settled_by_edit

    @property
    def live(self) -> bool:
        """Not stored with the extraction (decided with ``live=True``)."""
        return self.raised_by_edit or self.cross_year


def _fmt(x: Number | None) -> str:
    if x is None:
        return "空"
    if isinstance(x, float):
        return f"{x:.4f}".rstrip("0").rstrip(".") if not x.is_integer() else str(int(x))
    return str(x)


def _name(key: str) -> str:
    if key.startswith(PREVIOUS):
        return "上年" + cell_name(key[len(PREVIOUS):])
    return cell_name(key)


def _rule_of(f: Finding) -> Rule | None:
    variant = str(f.detail.get("variant", "") or "")
    keys = set(f.keys)
    for rule in _RULES.get(f.rule, ()):
        if rule.variant == variant and {k.lstrip("?-") for k in (*rule.lhs, *rule.rhs)} >= keys:
            return rule
    return None


def _terms(terms: tuple[str, ...], keys: set[str]) -> list[tuple[int, str]]:
    """(sign, key) of a rule side's terms the finding involves (optional terms it skipped are left out)."""
    out = []
    for term in terms:
        key = term.lstrip("?").lstrip("-")
        if key in keys:
            out.append((-1 if term.lstrip("?").startswith("-") else 1, key))
    return out


def _split_common(names: list[str]) -> tuple[str, list[str]]:
    """('行政诉讼·复议后起诉', ['总计', '结果维持', …]): the ``·``-parts every name shares, said once.

    A shared last part (a column, ``·自然人``) is taken out the same way when no first part is shared.
    """
    if len(names) < 2:
        return "", names
    parts = [n.split("·") for n in names]
    head = 0
    while all(len(p) > head + 1 and p[head] == parts[0][head] for p in parts):
        head += 1
    if head:
        return "·".join(parts[0][:head]), ["·".join(p[head:]) for p in parts]
    tail = 0
    while all(len(p) > tail + 1 and p[-1 - tail] == parts[0][-1 - tail] for p in parts):
        tail += 1
    if tail:
        return "·".join(parts[0][-tail:]), ["·".join(p[:-tail]) for p in parts]
    return "", names


def _side_text(side: list[tuple[int, str]], names: dict[str, str], values: dict[str, Any]) -> tuple[str, str, float]:
    """(names joined, numbers joined, total) of one side of an identity."""
    name = "".join(("−" if s < 0 else "＋") + names[k] for s, k in side).lstrip("＋")
    nums = "".join(("−" if s < 0 else "+") + _fmt(values.get(k)) for s, k in side).lstrip("+")
    total = sum(s * (values.get(k) or 0) for s, k in side)
    return name, nums, total


_RELATION = {"equal": ("≠", "="), "at_most": (">", "≤"), "at_least": ("<", "≥")}


def describe(f: Finding, values: dict[str, Any]) -> tuple[str, str]:
    """(title, equation) in Chinese; the equation uses ``values`` (the current ones, edits applied)."""
    table = TABLE_NAMES.get(f.keys[0].split(".", 1)[0] if f.keys else "", "")
    rule = _rule_of(f)
    if rule is not None and rule.check in _RELATION:
        keys = set(f.keys)
        lhs, rhs = _terms(rule.lhs, keys), _terms(rule.rhs, keys)
        common, short = _split_common([_name(k) for _, k in lhs + rhs])
        names = dict(zip([k for _, k in lhs + rhs], short))
        lname, lnums, ltotal = _side_text(lhs, names, values)
        rname, rnums, rtotal = _side_text(rhs, names, values)
        broken, holds = _RELATION[rule.check]
        ok = {"equal": abs(ltotal - rtotal) < 1e-6, "at_most": ltotal <= rtotal + 1e-6,
              "at_least": ltotal >= rtotal - 1e-6}[rule.check]
        sym = holds if ok else broken
        if len(rname) > 48:
            rname = f"{len(rhs)} 项之和"
        where = f"{common}：" if common else ""
        title = f"{table} {where}{lname} {broken} {rname}".strip()
        left = lnums if len(lhs) == 1 else f"{lnums} = {_fmt(ltotal)}"
        right = rnums if len(rhs) == 1 else f"{rnums} = {_fmt(rtotal)}"
        return title, f"{left} {sym} {right}"
    if f.kind == "prose" and f.keys:
        name = _name(f.keys[0]) if len(f.keys) == 1 else "＋".join(_name(k) for k in f.keys)
        table_now = sum(values.get(k) or 0 for k in f.keys)
        what = "正文口径可能不同" if f.rule == "prose.scope" else "正文与表格不一致"
        return f"{what}：{name}", f"正文 {_fmt(f.actual)}，表格 {_fmt(table_now)}"  # type: ignore[arg-type]
    if f.rule == "extract.ocr_doubtful" and f.keys:
        return f"扫描数字待确认：{table} {_name(f.keys[0])}".replace("： ", "：").strip(), ""
    if f.rule == "value.blank_total" and f.keys:
        parts = sum(values.get(k) or 0 for k in f.keys[1:])
        return f"{table} {_name(f.keys[0])} 空白，但各项合计 {_fmt(parts)}".strip(), ""
    if rule is not None and rule.check == "each_at_most" and len(f.keys) == 2:
        total, part = f.keys
        return (f"{table} {_name(part)} > {_name(total)}".strip(),
                f"{_fmt(values.get(part))} > {_fmt(values.get(total))}")
    title = rule.title if rule is not None else (f.message.split("：", 1)[0] if "：" in f.message else f.message)
    return title[:80], ""


def message(f: Finding) -> str:
    """The finding's message with its keys named as the form names them (an extractor's message may say keys)."""
    text = f.message
    for key in sorted(f.keys, key=len, reverse=True):
        text = text.replace(key, _name(key))
    return text


def rule_title(rule_id: str) -> str:
    """A rule's Chinese title (for a decision whose finding is no longer raised)."""
    rules = _RULES.get(rule_id)
    return rules[0].title if rules else rule_id


def views(result: Result, values: dict[str, Any], decisions: dict[str, FindingDecisionRow], *, text: str = "",
          edited: bool = False, cross_year: list[Finding] | None = None,
          edited_keys: set[str] = frozenset()) -> list[FindingView]:
    """Every finding of the report as it stands: stored ones, ones the edits raised, last year's.

    With ``edited``, the rules run again on ``values`` (the edited ones): a stored finding they no
    longer raise is *settled by the edit*, a finding only they raise is added. A held cell's finding
    is settled when every cell it held is among ``edited_keys``.
    """
    gone: set[str] = set()
    new: list[Finding] = []
    if edited:
        again = validate(result.with_values(values).values, result.prose_values, result.meta, result.meta.template,
                         text)
        now = {finding_key_of(f) for f in again}
        before = {finding_key_of(f) for f in result.findings}
        gone = {finding_key_of(f) for f in result.findings if f.category == "report" and finding_key_of(f) not in now}
        new = [f for f in again if finding_key_of(f) not in before]
    out: list[FindingView] = []
    for f, raised, cross in ([(f, False, False) for f in result.findings] + [(f, True, False) for f in new]
                             + [(f, False, True) for f in cross_year or []]):
        title, equation = describe(f, values)
        key = finding_key_of(f)
        out.append(FindingView(finding_id(f), f, title, equation, decisions.get(key),
                               settled_by_edit=key in gone or settled_by_pick(f, edited_keys),
                               raised_by_edit=raised, cross_year=cross))
    return out


def open_errors(found: list[FindingView]) -> list[FindingView]:
    """The errors a confirmation must answer for."""
    return [v for v in found if v.open and v.severity == "error"]
