"""Check functions: one per form of rule. Rules (data) name them; see ``registry.py``."""

from __future__ import annotations

from collections.abc import Iterable

from extractor.rules.registry import PREVIOUS, Context, Rule, check
from extractor.text import core
from schemas import catalog
from schemas.results import Evidence, Finding, Number

_SCOPE_WORDS = ("代表", "本机关", "本部门", "机关本级", "本级", "办公室", "区政府办", "市政府办", "县政府办", "代为")


def _clause(sentence: str, raw: str) -> str:
    """The comma-delimited clause of a sentence that holds the matched figure."""
    i = sentence.find(raw)
    if i < 0:
        return sentence
    a = max(sentence.rfind(c, 0, i) for c in ",，;；") + 1
    ends = [j for c in ",，;；。" if (j := sentence.find(c, i + len(raw))) != -1]
    return sentence[a:min(ends) if ends else len(sentence)]


def _name(key: str) -> str:
    """A short Chinese name for a key: the row label's kernel, then the column."""
    if key.startswith(PREVIOUS):
        return f"〔上年报告〕{_name(key[len(PREVIOUS):])}"
    spec = catalog.BY_KEY.get(key)
    if spec is None:
        return key
    row = core(spec.row.label) or spec.row.label
    return row if spec.column is None else f"{row}·{spec.column.label}"


def _fmt(x: Number | None) -> str:
    if x is None:
        return "空"
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return f"{round(x, 4):g}" if isinstance(x, float) else str(x)


def _evidence(ctx: Context, keys: Iterable[str]) -> dict[str, list[Evidence]]:
    return {k: v.evidence for k in keys if (v := ctx.value(k)) is not None}


class _Side:
    """One side of an identity: its sum, whether it could be evaluated, and its blank operands."""

    def __init__(self, ctx: Context, terms: tuple[str, ...]) -> None:
        self.total: Number = 0
        self.ok = True
        self.blanks: list[str] = []
        self.numbers = 0
        self.keys: list[str] = []
        self.signs: list[int] = []
        for term in terms:
            optional = term.startswith("?")
            term = term.lstrip("?")
            sign = -1 if term.startswith("-") else 1
            key = term.lstrip("-")
            status = ctx.status(key)
            if status == "missing":
                if optional:
                    continue
                self.ok = False
                return
            self.keys.append(key)
            self.signs.append(sign)
            if status == "number":
                self.total += sign * (ctx.number(key) or 0)
                self.numbers += 1
            elif status in ("blank", "dash", "slash"):
                self.blanks.append(key)
            else:  # text: an unreadable or ambiguous value
                self.ok = False
                return

    def label(self) -> str:
        names = [_name(k) for k in self.keys]
        if len(names) > 5:
            return f"{names[0]}…等 {len(names)} 项之和"
        signed = [("−" if sign < 0 else "+") + name for sign, name in zip(self.signs, names)]
        return "".join(signed).lstrip("+")


def _finding(rule: Rule, ctx: Context, lhs: _Side, rhs: _Side, severity: str, relation: str) -> Finding:
    variant = f"（{rule.variant}）" if rule.variant else ""
    blanks = lhs.blanks + rhs.blanks
    note = f"；其中 {len(blanks)} 个空白单元格按 0 计" if blanks else ""
    message = (f"{rule.title}{variant}：{lhs.label()} = {_fmt(lhs.total)}，{relation} "
               f"{rhs.label()} = {_fmt(rhs.total)}{note}")
    return Finding(
        rule=rule.id, kind=rule.kind, category="report", severity=severity,  # type: ignore[arg-type]
        message=message, keys=[*lhs.keys, *rhs.keys], expected=rhs.total, actual=lhs.total,
        evidence=_evidence(ctx, [*lhs.keys, *rhs.keys]),
        detail={"variant": rule.variant, "blank_keys": blanks, "source": rule.source},
    )


def _blank_total(rule: Rule, ctx: Context, lhs: _Side, rhs: _Side) -> Finding | None:
    """A printed total left blank while its parts hold numbers: shown, never filled in."""
    if len(lhs.keys) == 1 and lhs.numbers == 0 and lhs.blanks and rhs.numbers and rhs.total != 0:
        key = lhs.keys[0]
        return Finding(
            rule="value.blank_total", kind="sum", category="report", severity="warning",
            message=f"{_name(key)}{('（' + rule.variant + '）') if rule.variant else ''}为空白，"
                    f"但其组成部分合计 {_fmt(rhs.total)}（{rule.title}）",
            keys=[key, *rhs.keys], expected=rhs.total, actual=None,
            evidence=_evidence(ctx, [key, *rhs.keys]), detail={"identity": rule.id},
        )
    return None


def _is_total(key: str) -> bool:
    """A printed total of the national tables (总计 column, （七）总计 row): blank there means unreported."""
    return key.endswith(".总计") or ".办理结果总计." in key


@check("equal")
def equal(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """sum(lhs) == sum(rhs); the param ``soft`` ("gt"/"lt") makes one direction a warning."""
    lhs, rhs = _Side(ctx, rule.lhs), _Side(ctx, rule.rhs)
    if not (lhs.ok and rhs.ok) or (lhs.numbers == 0 and rhs.numbers == 0):
        return []
    blank = _blank_total(rule, ctx, lhs, rhs)
    if blank:
        return [blank]
    if lhs.numbers == 0 or any(_is_total(k) for k in lhs.blanks + rhs.blanks):
        return []  # a blank total is not 0: value.blank_total reports it where it is the total checked
    if abs(lhs.total - rhs.total) < 1e-6:
        return []
    soft = rule.param("soft")
    severity = rule.severity
    if (soft == "gt" and lhs.total > rhs.total) or (soft == "lt" and lhs.total < rhs.total):
        severity = "warning"
    return [_finding(rule, ctx, lhs, rhs, severity, "不等于")]


@check("at_most")
def at_most(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """sum(lhs) ≤ sum(rhs) (+ an optional slack as a share of rhs)."""
    lhs, rhs = _Side(ctx, rule.lhs), _Side(ctx, rule.rhs)
    if not (lhs.ok and rhs.ok) or lhs.numbers == 0 or rhs.numbers == 0:
        return []
    slack = float(rule.param("slack", 0) or 0) * abs(rhs.total) + float(rule.param("slack_abs", 0) or 0)
    if lhs.total <= rhs.total + slack + 1e-6:
        return []
    return [_finding(rule, ctx, lhs, rhs, rule.severity, "大于")]


@check("at_least")
def at_least(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """sum(lhs) ≥ sum(rhs); skipped when ``when_positive`` names a key that is not > 0."""
    gate = rule.param("when_positive")
    if gate and not (ctx.number(str(gate)) or 0) > 0:
        return []
    lhs, rhs = _Side(ctx, rule.lhs), _Side(ctx, rule.rhs)
    if not (lhs.ok and rhs.ok) or lhs.numbers == 0 or rhs.numbers == 0:
        return []
    if lhs.total >= rhs.total - 1e-6:
        return []
    return [_finding(rule, ctx, lhs, rhs, rule.severity, "小于")]


@check("each_at_most")
def each_at_most(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """Every rhs value ≤ the lhs total (a channel cannot exceed the deduplicated total)."""
    total = ctx.number(rule.lhs[0])
    if total is None:
        return []
    out = []
    for key in (k.lstrip("?") for k in rule.rhs):
        v = ctx.number(key)
        if v is not None and v > total:
            out.append(Finding(
                rule=rule.id, kind=rule.kind, category="report", severity=rule.severity,  # type: ignore[arg-type]
                message=f"{rule.title}：{_name(key)} = {_fmt(v)}，大于 {_name(rule.lhs[0])} = {_fmt(total)}",
                keys=[rule.lhs[0], key], expected=total, actual=v, evidence=_evidence(ctx, [rule.lhs[0], key]),
            ))
    return out


@check("range")
def value_range(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """Counts are integers ≥ 0 (本年增/减 may be negative); money is a decimal ≥ 0."""
    out = []
    for key, v in ctx.values.items():
        spec = catalog.BY_KEY.get(key)
        if spec is None or v.status != "number" or v.value is None:
            continue
        if v.value < 0 and not spec.signed:
            out.append(Finding(rule="value.negative", kind="range", category="report", severity="error",
                               message=f"{_name(key)} 为负数 {_fmt(v.value)}", keys=[key], actual=v.value,
                               evidence=_evidence(ctx, [key])))
        if not spec.decimal and isinstance(v.value, float) and not v.value.is_integer():
            out.append(Finding(rule="value.not_integer", kind="range", category="report", severity="error",
                               message=f"{_name(key)} 应为整数（{spec.unit}），表中为 {_fmt(v.value)}", keys=[key],
                               actual=v.value, evidence=_evidence(ctx, [key])))
    maximum = rule.param("fee_max")
    fee_key = "t2.行政事业性收费.收费金额"
    fee = ctx.number(fee_key)
    if maximum is not None and fee is not None and fee > float(maximum):
        out.append(Finding(rule="t2.fee_plausible", kind="range", category="report", severity="warning",
                           message=f"行政事业性收费 {_fmt(fee)} 万元异常偏大，可能误按“元”填报",
                           keys=[fee_key], actual=fee, evidence=_evidence(ctx, [fee_key])))
    return out


def _prose_whatever_the_split(rule: Rule, key: str, pv, table, ctx: Context) -> Finding:
    """A figure the narrative restates that no reading of the table's run-together digits gives."""
    sentence = pv.evidence[0].text if pv.evidence else pv.raw
    shown = "、".join(_fmt(x) for x in table.choices)
    return Finding(
        rule=rule.id, kind="prose", category="report", severity=rule.severity,  # type: ignore[arg-type]
        message=f"正文与表格不一致：正文“{sentence}”称 {_fmt(pv.value)}，表中{_name(key)}的数字连在一起，"
                f"无论怎样拆分都只能是 {shown} 之一",
        keys=[key], actual=pv.value, evidence={**_evidence(ctx, [key]), f"{key}（正文）": pv.evidence},
        detail={"sentence": sentence, "choices": table.choices},
    )


@check("prose_equals")
def prose_equals(rule: Rule, ctx: Context) -> Iterable[Finding]:
    """Each figure the narrative restates equals the table's; a plausible other scope is a warning."""
    derived: dict[str, tuple[str, ...]] = dict(rule.param("derived", ()) or ())
    alternates: dict[str, tuple[str, ...]] = dict(rule.param("alternates", ()) or ())
    out = []
    for key, pv in ctx.prose.items():
        if pv.value is None:
            continue
        parts = derived.get(key, (key,))
        statuses = [ctx.status(k) for k in parts]
        undecided = ctx.value(key) if statuses == ["text"] else None
        if undecided is not None and undecided.choices and pv.value not in undecided.choices:
            out.append(_prose_whatever_the_split(rule, key, pv, undecided, ctx))
            continue
        if any(s in ("missing", "text") for s in statuses):
            continue
        table = sum((ctx.number(k) or 0) for k in parts)
        if all(s != "number" for s in statuses) and pv.value == 0:
            continue  # a blank table cell restated as 0 in the prose
        if abs(table - pv.value) < 1e-6:
            continue
        alts = [sum((ctx.number(k) or 0) for k in alt) for alt in [alternates.get(key, ())] if alt]
        if any(abs(a - pv.value) < 1e-6 for a in alts):
            continue
        sentence = pv.evidence[0].text if pv.evidence else pv.raw
        scoped = any(w in _clause(sentence, pv.raw) for w in _SCOPE_WORDS)
        table_ev = _evidence(ctx, parts)
        evidence = {**table_ev, f"{key}（正文）": pv.evidence}
        if scoped:
            out.append(Finding(
                rule="prose.scope", kind="prose", category="report", severity="warning",
                message=f"正文“{sentence}”称 {_fmt(pv.value)}，表中{_name(key)}为 {_fmt(table)}；"
                        "正文的统计口径可能不同（如仅指本机关或代为受理的部分），请核实",
                keys=list(parts), expected=table, actual=pv.value, evidence=evidence,
                detail={"sentence": sentence},
            ))
        else:
            out.append(Finding(
                rule=rule.id, kind="prose", category="report", severity=rule.severity,  # type: ignore[arg-type]
                message=f"正文与表格不一致：正文“{sentence}”称 {_fmt(pv.value)}，表中{_name(key)}为 {_fmt(table)}",
                keys=list(parts), expected=table, actual=pv.value, evidence=evidence,
                detail={"sentence": sentence},
            ))
    return out

