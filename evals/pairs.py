"""Pairs of one agency's reports in consecutive years, to measure the cross-year rules end to end.

``generate_pair(seed, template, inject)`` draws a report, then the same agency's report of the next
year whose carried-over figures follow from it (上年结转 = last year's 结转下年度, 现行有效 = last
year's + 制发 − 废止, …), and optionally breaks one link: ``carry_over``, ``stock`` (表二's stock or
item counts), ``pending`` (表四's cases left pending) or ``copy`` (the whole report copied). Both are
rendered in one layout, read by the table reader, paired by their detected agency and year, and the
cross-year findings are scored against what was injected.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extractor._errors import XxgkError
from extractor.rules import RULES
from extractor.rules.identities import OLD_STOCK_ROWS
from schemas import catalog

from .gen_style import EXTENSIONS, LAYOUTS
from .gen_values import Number
from .generator import YEARS, GeneratedReport, GeneratorError, generate, render, retell, slot

PAIR_INJECTS: dict[str, tuple[str, ...]] = {"2008": ("copy",), "2019": ("carry_over", "stock", "pending", "copy"),
                                            "2021": ("carry_over", "stock", "pending", "copy")}
T3_PARTS = tuple(c.id for c in catalog.columns("t3") if c.id != "总计")
T4_ROWS = tuple(r.id for r in catalog.rows("t4"))
STOCK_ROWS = {"2021": ("规章", "行政规范性文件"),
              "2019": ("行政许可", "其他对外管理服务事项", "行政处罚", "行政强制", "行政事业性收费")}


@dataclass
class GeneratedPair:
    seed: int
    template: str
    inject: str | None
    before: GeneratedReport
    after: GeneratedReport
    expected: list[str] = field(default_factory=list)  # cross-year rule ids the pair must raise

    @property
    def slug(self) -> str:
        return f"pair{self.template}-s{self.seed}" + (f"-{self.inject}" if self.inject else "")


def _n(values: dict[str, Number | None], key: str) -> Number:
    return values.get(key) or 0


def _follow(before: dict[str, Number | None], after: dict[str, Number | None], template: str) -> None:
    """Make ``after``'s carried-over figures follow from ``before`` (both edited in place)."""
    if template == "2008":
        # a 历年累计 column printed both years: this year's is last year's plus this year's figure
        for key in list(after):
            base = key.removesuffix(".历年累计")
            if base == key or base[len("old."):] in OLD_STOCK_ROWS:
                continue
            if before.get(key) is not None and after.get(base) is not None:
                after[key] = before[key] + after[base]  # type: ignore[operator]
        return
    for col in T3_PARTS:
        carried = _n(before, f"t3.结转下年度.{col}")
        after[f"t3.上年结转.{col}"] = carried
        rest = _n(after, f"t3.本年新收.{col}") + carried - _n(after, f"t3.办理结果总计.{col}")
        if rest < 0:  # more closed than ever received: receive more this year
            after[f"t3.本年新收.{col}"] = _n(after, f"t3.本年新收.{col}") - rest
            rest = 0
        after[f"t3.结转下年度.{col}"] = rest
    for row in ("上年结转", "本年新收", "结转下年度"):
        after[f"t3.{row}.总计"] = sum(_n(after, f"t3.{row}.{c}") for c in T3_PARTS)
    for row in STOCK_ROWS[template]:
        if template == "2021":
            stock, made = _n(before, f"t2.{row}.现行有效"), _n(after, f"t2.{row}.本年制发")
            repealed = min(_n(after, f"t2.{row}.本年废止"), stock + made)
            after[f"t2.{row}.本年废止"] = repealed
            after[f"t2.{row}.现行有效"] = stock + made - repealed
        else:
            items, change = _n(before, f"t2.{row}.上年项目数"), _n(before, f"t2.{row}.本年增减")
            if items + change < 0:
                before[f"t2.{row}.本年增减"] = change = -items
            after[f"t2.{row}.上年项目数"] = items + change
    for row in T4_ROWS:
        short = _n(before, f"t4.{row}.尚未审结") - _n(after, f"t4.{row}.总计")
        if short > 0:  # last year's pending cases end this year: upheld, say
            after[f"t4.{row}.维持"] = _n(after, f"t4.{row}.维持") + short
            after[f"t4.{row}.总计"] = _n(after, f"t4.{row}.总计") + short


def _break(kind: str, rng: random.Random, before: dict[str, Number | None], after: dict[str, Number | None],
           template: str) -> list[str]:
    """Break one cross-year link without breaking either year's own identities; the rule ids expected."""
    k = rng.randint(1, 5)
    if kind == "carry_over":
        col = rng.choice(T3_PARTS)
        for row in ("上年结转", "结转下年度"):  # the balance of the year still holds
            for c in (col, "总计"):
                after[f"t3.{row}.{c}"] = _n(after, f"t3.{row}.{c}") + k
        return ["years.t3_carry_over"]
    if kind == "stock":
        row = rng.choice(STOCK_ROWS[template])
        key = f"t2.{row}.现行有效" if template == "2021" else f"t2.{row}.上年项目数"
        # the link is checked only where both years print its figures: a blank is "not reported"
        linked = (f"t2.{row}.现行有效",) if template == "2021" else (f"t2.{row}.上年项目数", f"t2.{row}.本年增减")
        for k2 in linked:
            if before.get(k2) is None:
                before[k2] = 0
        after[key] = _n(after, key) + k
        return ["years.t2_stock" if template == "2021" else "years.t2_items"]
    if kind == "pending":
        row = rng.choice(T4_ROWS)
        extra = _n(after, f"t4.{row}.总计") + k
        for col in ("尚未审结", "总计"):
            before[f"t4.{row}.{col}"] = _n(before, f"t4.{row}.{col}") + extra
        return ["years.t4_pending"]
    raise GeneratorError(f"unknown pair injection {kind!r}")


def _copied_tables(values: dict[str, Number | None]) -> list[str]:
    """years.same_table when some copied table has enough non-zero figures (the rule's own threshold: a
    table of mostly zeros proves no copying)."""
    least = next(r for r in RULES if r.id == "years.same_table").param("min_nonzero")
    nonzero: dict[str, int] = {}
    for key, v in values.items():
        table = key.split(".", 1)[0]
        nonzero[table] = nonzero.get(table, 0) + (1 if v else 0)
    return ["years.same_table"] if any(n >= least for n in nonzero.values()) else []  # type: ignore[operator]


def generate_pair(seed: int, template: str, inject: str | None = None) -> GeneratedPair:
    """Two consecutive years of one agency; ``inject`` (one of PAIR_INJECTS[template]) breaks one link."""
    if inject is not None and inject not in PAIR_INJECTS[template]:
        raise GeneratorError(f"{inject!r} does not apply to template {template}; one of {PAIR_INJECTS[template]}")
    first = generate(seed, template)
    year = min(first.year, YEARS[template][1] - 1)  # both years in the template's period
    before_values = dict(first.values)
    if inject == "copy":
        before = retell(first, year=year)
        after = retell(first, year=year + 1)
        expected = ["years.same_text", *_copied_tables(before.values)]
        return GeneratedPair(seed, template, inject, before, after, sorted(expected))
    second = generate(seed + 500_000, template)
    after_values = dict(second.values)
    _follow(before_values, after_values, template)
    expected = []
    if inject is not None:
        expected = _break(inject, random.Random(f"pair:{seed}:{template}"), before_values, after_values, template)
    before = retell(first, year=year, values=before_values, this_years_work=True)
    after = retell(second, agency=first.agency, year=year + 1, values=after_values, this_years_work=True)
    return GeneratedPair(seed, template, inject, before, after, expected)


@dataclass
class PairScore:
    slug: str
    template: str
    layout: str
    inject: str | None
    paired: bool
    expected: list[str]
    raised: list[str]
    seconds: float
    error: str = ""

    @property
    def missed(self) -> list[str]:
        return sorted(set(self.expected) - set(self.raised))

    @property
    def false(self) -> list[str]:
        """Findings on a clean pair: each one a false alarm."""
        return list(self.raised) if self.inject is None else []


def score_pair(pair: GeneratedPair, layout: str) -> PairScore:
    """Render both years in ``layout``, read them, pair them and compare the cross-year findings."""
    from extractor.api import extract  # lazy: start-up (xxgk --help loads evals.cli)
    from extractor.years import check_years  # lazy: start-up (xxgk --help loads evals.cli)

    t0 = time.perf_counter()
    try:
        results = [extract(render(r, layout), name=f"{pair.slug}-{r.year}.{EXTENSIONS[layout]}")
                   for r in (pair.before, pair.after)]
    except XxgkError as err:  # a failed read is a scored failure, not a crash of the eval
        return PairScore(pair.slug, pair.template, layout, pair.inject, False, pair.expected, [],
                         time.perf_counter() - t0, f"{type(err).__name__}: {err}")
    report = check_years(results)
    paired = len(report.pairs) == 1 and report.pairs[0].current.meta.year == pair.after.year
    raised = sorted(f.rule for p in report.pairs for f in p.findings)
    return PairScore(pair.slug, pair.template, layout, pair.inject, paired, pair.expected, raised,
                     time.perf_counter() - t0)


def run_pairs(n: int, seed: int, *, error_rate: float = 0.5,
              on_score: Callable[[PairScore], None] | None = None) -> list[PairScore]:
    """``n`` pairs, templates and layouts round-robin, half of them with one broken link."""
    rng = random.Random(f"xxgk-pairs:{seed}")
    templates = ("2008", "2019", "2021")
    scores = []
    for i in range(n):
        template, layout = slot(i, templates, LAYOUTS)
        inject = rng.choice(PAIR_INJECTS[template]) if rng.random() < error_rate else None
        score = score_pair(generate_pair(seed * 100_000 + i, template, inject), layout)
        if on_score is not None:
            on_score(score)
        scores.append(score)
    return scores


def summary(scores: list[PairScore]) -> dict[str, Any]:
    """Totals over the pairs: paired, recall of the injected breaks, false alarms on clean pairs."""
    expected = sum(len(set(s.expected)) for s in scores)
    clean = [s for s in scores if s.inject is None]
    return {
        "pairs": len(scores),
        "paired": sum(s.paired for s in scores),
        "expected": expected,
        "raised": expected - sum(len(s.missed) for s in scores),
        "clean": len(clean),
        "false": sum(len(s.false) for s in scores),
        "errors": sum(1 for s in scores if s.error),
        "by_inject": {k: {"pairs": sum(1 for s in scores if (s.inject or "clean") == k),
                          "missed": sum(len(s.missed) for s in scores if (s.inject or "clean") == k)}
                      for k in sorted({s.inject or "clean" for s in scores})},
    }


def to_markdown(scores: list[PairScore]) -> str:
    """The pairs' section of eval.md: per template and per injected break, then every miss and false alarm."""
    lines = [f"## Year against year: {len(scores)} pairs", "",
             "| template | pairs | paired | expected findings raised | findings on clean pairs | s/pair |",
             "|---|---|---|---|---|---|"]
    for template in sorted({s.template for s in scores}):
        mine = [s for s in scores if s.template == template]
        t = summary(mine)
        lines.append(f"| {template} | {t['pairs']} | {t['paired']} | {t['raised']}/{t['expected']} | "
                     f"{t['false']} in {t['clean']} | {sum(s.seconds for s in mine) / len(mine):.2f} |")
    lines += ["", "| injected | pairs | missed |", "|---|---|---|"]
    lines += [f"| {k} | {v['pairs']} | {v['missed']} |" for k, v in summary(scores)["by_inject"].items()]
    problems = [f"- {s.slug} ({s.layout}): " + ("; ".join(filter(None, [
        s.error, "" if s.paired else "not paired", f"missed {', '.join(s.missed)}" if s.missed else "",
        f"false {', '.join(s.false)}" if s.false else ""])))
        for s in scores if s.error or not s.paired or s.missed or s.false]
    if problems:
        lines += ["", *problems]
    return "\n".join(lines) + "\n"


def to_json(scores: list[PairScore]) -> dict[str, Any]:
    return {**summary(scores), "cases": [{"slug": s.slug, "template": s.template, "layout": s.layout,
                                           "inject": s.inject, "paired": s.paired, "expected": s.expected,
                                           "raised": s.raised, "missed": s.missed, "seconds": round(s.seconds, 3),
                                           "error": s.error} for s in scores]}
