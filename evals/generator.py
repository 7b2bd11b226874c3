"""Synthetic annual reports with gold files, deterministic by seed, for the eval set.

``generate(seed, template)`` draws one report (values that satisfy every identity of
research/templates.md section C, prose restating some figures, report-level quirks);
``render(report, layout)`` prints it as html, docx, pdf, md, layout text, one-cell-per-line text or
run-together text; ``write_case`` writes the source file and its ``.gold.json`` (GOLD-KEYS format plus
``expected_findings`` and ``quirks``); ``generate_dataset`` writes many cases and a ``cases.jsonl`` index.

    python -m evals.generator OUT_DIR --n 200 --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor._errors import XxgkError
from extractor.rules.identities import OLD_STOCK_ROWS
from schemas import catalog

from . import gen_inject, gen_prose, render_docx, render_html, render_pdf, render_text
from .gen_prose import Block
from .gen_style import EXTENSIONS, LAYOUTS, Style, draw_style
from .gen_tables import Formatter, build_tables
from .gen_values import Number, generate_numbers, prose_only_numbers, t3_applicant_columns
from .rule_ids import BREAKABLE, RULE_IDS

YEARS: dict[str, tuple[int, int]] = {"2008": (2014, 2018), "2019": (2019, 2020), "2021": (2021, 2025)}
INJECT_KINDS = ("identity", "prose", "blank")
# report-level errors, asked for by name only (the eval's random draw keeps to INJECT_KINDS, so the
# published eval set stays the same): a template another year's, a statistics period of another year,
# 收费金额 printed in 元 under the 万元 heading
META_INJECT_KINDS = ("template_year", "period_year", "fee_unit")
_WRONG_TEMPLATE_YEAR = {"2008": 2019, "2019": 2021, "2021": 2020}


class GeneratorError(XxgkError):
    """A generator request that cannot be met (unknown template, layout or injection)."""


@dataclass
class GeneratedReport:
    seed: int
    template: str
    agency: str
    year: int
    style: Style
    values: dict[str, Number | None]
    prose_values: dict[str, Number]
    blocks: list[Block]
    inject: str | None = None
    expected_findings: list[dict[str, Any]] = field(default_factory=list)
    known_inconsistencies: list[str] = field(default_factory=list)

    @property
    def meta(self) -> dict[str, Any]:
        return {"agency": self.agency, "year": self.year, "template": self.template}

    @property
    def quirks(self) -> list[str]:
        return self.style.quirks()

    @property
    def slug(self) -> str:
        tail = f"-{self.inject}" if self.inject else ""
        return f"gen{self.template}-s{self.seed}{tail}"


def _rng(seed: int, template: str, part: str) -> random.Random:
    return random.Random(f"xxgk-gen:{template}:{seed}:{part}")


def _apply_blanks(numbers: dict[str, Number], template: str, style: Style) -> dict[str, Number | None]:
    """Which printed cells are blank: zeros where the report leaves them empty, and marked 总计 columns."""
    out: dict[str, Number | None] = dict(numbers)
    edge = ("本年新收", "上年结转", "办理结果总计", "结转下年度")
    for k, v in numbers.items():
        f = catalog.BY_KEY[k]
        t3_item = f.table == "t3" and f.column is not None and f.row.id not in edge
        total_col = f.column is not None and f.column.id == "总计"
        if style.zeros_blank and v == 0 and (template == "2008" or f.table == "t2" or (t3_item and not total_col)):
            out[k] = None
        if style.t3_row_totals_blank and t3_item and total_col:
            out[k] = None
    t4 = [k for k in numbers if k.startswith("t4.")]
    if style.t4_blank and t4 and not any(numbers[k] for k in t4):
        for k in t4:  # nothing to report: the table's cells left empty
            out[k] = None
    return out


def with_cumulative(values: dict[str, Number | None], year: dict[str, Number],
                    earlier: dict[str, Number]) -> dict[str, Number | None]:
    """The old table's 历年累计 column beside the year's figures: the year's true figures (before a blank or an
    injected error) plus the earlier years' (a value set keeping the same identities, so the column keeps them
    too) for rows counting events, the year's own figure for stocks (offices, staff)."""
    out = dict(values)
    for key in values:
        if not key.startswith("old."):
            continue
        row = key[len("old."):]
        spec = catalog.BY_KEY[key]
        before = 0 if row in OLD_STOCK_ROWS else earlier.get(key, 0)
        total = year.get(key, 0) + before
        out[f"{key}.历年累计"] = round(total, 2) if spec.decimal else int(total)
    return out


def _quirk_findings(values: dict[str, Number | None], style: Style) -> list[dict[str, Any]]:
    """Warnings a faithful validator raises on a report whose only fault is a marked quirk.

    With ``t3_row_totals_blank`` the 总计 column of the result rows is printed blank (as Shanghai 2019
    did); each such blank total whose applicant cells are not all zero deserves a blank-total warning.
    """
    out: list[dict[str, Any]] = []
    if not style.t3_row_totals_blank:
        return out
    for k, v in values.items():
        if v is None and k.startswith("t3.") and k.endswith(".总计"):
            row = k[len("t3."):-len(".总计")]
            if any(values.get(f"t3.{row}.{c}") for c in t3_applicant_columns()):
                out.append({"rule": RULE_IDS["blank"], "keys": [k]})
    return out


def _resolve_inject(inject: str | None, template: str, rng: random.Random) -> str | None:
    """Turn the ``inject`` argument into an identity name, "prose" or "blank" (None: clean)."""
    if inject is None:
        return None
    if inject == "random":
        inject = rng.choice(INJECT_KINDS)
    if inject == "identity":
        return rng.choice(BREAKABLE[template])
    if inject in ("prose", "blank"):
        return inject
    names = [n for n in BREAKABLE[template] if RULE_IDS[n] == inject] or [inject]
    name = names[0]
    if name not in BREAKABLE[template]:
        raise GeneratorError(f"cannot inject {inject!r} into a {template} report; choose from "
                             f"{sorted(INJECT_KINDS + ('random',))} or {[RULE_IDS[n] for n in BREAKABLE[template]]}")
    return name


def generate(seed: int, template: str, *, inject: str | None = None) -> GeneratedReport:
    """One synthetic report. Same seed and template → same report; ``inject`` adds one known error.

    ``inject``: None (clean), "identity" (break one identity of the template), "prose" (one prose figure
    differs from the table), "blank" (a required total left blank), "random" (one of those), or a
    specific identity by rule id (e.g. "t3.balance") or name (e.g. "T3-1").
    """
    if template not in YEARS:
        raise GeneratorError(f"unknown template {template!r}; expected one of {sorted(YEARS)}")
    if inject in META_INJECT_KINDS:
        return _report_level_error(generate(seed, template), inject)
    what = _resolve_inject(inject, template, _rng(seed, template, "inject-kind"))
    meta_rng = _rng(seed, template, "meta")
    agency = gen_prose.agency_name(meta_rng)
    year = meta_rng.randint(*YEARS[template])
    phone = f"0{meta_rng.randint(100, 999)}-{meta_rng.randint(1000000, 9999999)}"
    signed = f"{year + 1}年{meta_rng.randint(1, 3)}月{meta_rng.randint(1, 28)}日"
    style = draw_style(_rng(seed, template, "style"), template, clean_blanks=what is not None)
    numbers = generate_numbers(_rng(seed, template, "values"), template, other_split=style.other_split,
                               t3_subtotals=style.t3_subtotals, old_optional=set(style.old_optional))
    if what is not None and not _injectable(numbers, template):
        numbers = generate_numbers(_rng(seed, template, "values-nonzero"), template, other_split=style.other_split,
                                   t3_subtotals=style.t3_subtotals, old_optional=set(style.old_optional),
                                   min_applications=8)
    values = _apply_blanks(numbers, template, style)
    findings: list[dict[str, Any]] = _quirk_findings(values, style)
    notes: list[str] = []
    inj_rng = _rng(seed, template, "inject")
    if what == "blank":
        got = gen_inject.blank_total(inj_rng, values, template)
        if got is None:  # nothing to blank: fall back to a broken identity
            what = BREAKABLE[template][0]
        else:
            findings, note = got
            notes.append(note)
    if what not in (None, "blank", "prose"):
        findings, note = gen_inject.INJECTORS[what](inj_rng, values, template)
        notes.append(note)
    if style.cumulative_column:
        earlier = generate_numbers(_rng(seed, template, "earlier-years"), template, other_split=False,
                                   t3_subtotals=False, old_optional=set(style.old_optional))
        values = with_cumulative(values, numbers, earlier)
    blocks, prose_values = _prose(seed, template, agency, year, values, {}, phone, signed)
    if what == "prose" and not any(k in values for k in prose_values):  # no figure to misquote
        findings, note = gen_inject.INJECTORS[BREAKABLE[template][0]](inj_rng, values, template)
        notes.append(note)
        blocks, prose_values = _prose(seed, template, agency, year, values, {}, phone, signed)
    elif what == "prose":
        key, wrong = gen_inject.prose_change(inj_rng, prose_values, set(values))
        blocks, prose_values = _prose(seed, template, agency, year, values, {key: wrong}, phone, signed)
        findings = [{"rule": RULE_IDS["prose"], "keys": [key]}]
        notes.append(f"prose states {key} = {wrong}, the table prints {values[key]}")
    return GeneratedReport(seed, template, agency, year, style, values, prose_values, blocks, inject,
                           findings, notes)


def retell(report: GeneratedReport, *, agency: str | None = None, year: int | None = None,
           values: dict[str, Number | None] | None = None, prose_seed: int | None = None,
           this_years_work: bool = False) -> GeneratedReport:
    """The report with another agency, year or numbers, its narrative written again to match.

    Pairs of consecutive years are made this way (``evals/pairs.py``); the single-report expectations
    no longer apply and are dropped. ``this_years_work`` adds paragraphs on the year's own work, as
    real reports have (without them two years of one generated agency read nearly alike).
    """
    agency = agency if agency is not None else report.agency
    year = year if year is not None else report.year
    numbers = dict(values if values is not None else report.values)
    rng = _rng(report.seed, report.template, f"retold-{year}")
    phone = f"0{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}"
    signed = f"{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日"
    blocks, prose_values = _prose(report.seed if prose_seed is None else prose_seed, report.template, agency, year,
                                  numbers, {}, phone, signed)
    if this_years_work:
        first = next((i for i, b in enumerate(blocks) if b.kind == "heading"), 0)
        blocks[first + 2:first + 2] = gen_prose.this_years_work(rng)
    return GeneratedReport(report.seed, report.template, agency, year, report.style, numbers, prose_values, blocks)


def _report_level_error(report: GeneratedReport, kind: str) -> GeneratedReport:
    """``report`` with one report-level error (one of META_INJECT_KINDS) and the finding it must raise."""
    if kind == "template_year":
        year = _WRONG_TEMPLATE_YEAR[report.template]
        bad = retell(report, year=year)
        note, rule = f"a {report.template}-format report for {year}", "meta.template_year"
    elif kind == "period_year":
        bad = retell(report)
        period = f"统计期限自{bad.year}年1月1日起至{bad.year}年12月31日止"
        wrong = f"统计期限自{bad.year - 1}年1月1日起至{bad.year - 1}年12月31日止"
        bad.blocks = [Block(b.kind, b.text.replace(period, wrong)) for b in bad.blocks]
        note, rule = f"the title says {bad.year}, the statistics period {bad.year - 1}", "meta.year"
    elif kind == "fee_unit":
        if report.template != "2021":
            raise GeneratorError("fee_unit needs the 2021 template (the only one printing 收费金额)")
        key = "t2.行政事业性收费.收费金额"
        fee = report.values.get(key) or 0
        values = {**report.values, key: round(fee * 10000) if fee * 10000 > 200_000 else 356_800}
        bad = retell(report, values=values)
        note, rule = f"{key} printed in 元 ({values[key]}) under the 万元 heading", "t2.fee_plausible"
    else:
        raise GeneratorError(f"unknown report-level error {kind!r}; one of {META_INJECT_KINDS}")
    bad.inject = kind
    bad.expected_findings = [*_quirk_findings(bad.values, bad.style), {"rule": rule, "keys": []}]
    bad.known_inconsistencies = [note]
    return bad


def _injectable(numbers: dict[str, Number], template: str) -> bool:
    if template == "2008":
        return numbers.get("old.收到申请数", 0) >= 8 and numbers.get("old.答复数", 0) >= 2
    return numbers.get("t3.办理结果总计.总计", 0) >= 8


def _prose(seed: int, template: str, agency: str, year: int, values: dict[str, Number | None],
           overrides: dict[str, Number], phone: str, signed: str) -> tuple[list[Block], dict[str, Number]]:
    rng = _rng(seed, template, "prose")
    if template == "2008":
        return gen_prose.old_format(rng, agency, year, values, overrides, phone, signed)
    return gen_prose.new_format(rng, template, agency, year, values, prose_only_numbers(values), overrides,
                                phone, signed)


# --------------------------------------------------------------------------- rendering
def render(report: GeneratedReport, layout: str) -> bytes:
    """The report as a file in ``layout`` (one of ``LAYOUTS``)."""
    if layout not in LAYOUTS:
        raise GeneratorError(f"unknown layout {layout!r}; expected one of {list(LAYOUTS)}")
    fm = Formatter(report.values, report.style, layout)
    tables = build_tables(report.template, report.year, report.values, fm)
    rng = _rng(report.seed, report.template, f"render-{layout}")
    if layout == "html":
        return render_html.html(report.blocks, tables, encoding="gbk" if report.style.gbk else "utf-8",
                                markup=report.style.html_markup)
    if layout == "docx":
        return render_docx.docx(report.blocks, tables)
    if layout == "pdf":
        return render_pdf.pdf(report.blocks, tables, split_table=report.style.pdf_table_split)
    if layout == "wordhtml":
        return render_html.word_html(report.blocks, tables)
    if layout == "md":
        return render_text.markdown(report.blocks, tables, fm).encode("utf-8")
    if layout == "pagetext":
        return render_text.pagetext(report.blocks, tables, fm, rng, agency=report.agency, year=report.year
                                    ).encode("utf-8")
    fn = {"layout": render_text.layout, "cells": render_text.cells, "runtogether": render_text.runtogether}[layout]
    return fn(report.blocks, tables, fm, rng).encode("utf-8")


def gold(report: GeneratedReport, layout: str, source_name: str) -> dict[str, Any]:
    """The gold record of one rendered case (GOLD-KEYS format plus findings and quirks)."""
    quirks = report.style.quirks(layout)
    note = (f"synthetic report from evals.generator (seed {report.seed}, template {report.template}, "
            f"layout {layout}); quirks: {', '.join(quirks) or 'none'}")
    return {
        "source": {"file": source_name, "note": note},
        "meta": report.meta,
        "values": dict(report.values),
        "prose_values": dict(report.prose_values),
        "known_inconsistencies": list(report.known_inconsistencies),
        "expected_findings": list(report.expected_findings),
        "quirks": quirks,
        "generator": {"seed": report.seed, "template": report.template, "layout": layout, "inject": report.inject},
    }


def write_case(report: GeneratedReport, layout: str, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``<slug>.<ext>`` and ``<slug>.gold.json`` into ``out_dir``; return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    slug = f"{report.slug}-{layout}"
    src = out / f"{slug}.{EXTENSIONS[layout]}"
    src.write_bytes(render(report, layout))
    g = out / f"{slug}.gold.json"
    g.write_text(json.dumps(gold(report, layout, src.name), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return src, g


def slot(i: int, templates: Sequence[str], layouts: Sequence[str]) -> tuple[str, str]:
    """The template and layout of the ``i``-th generated case: every (template, layout) pair comes round."""
    return templates[(i // len(layouts) + i) % len(templates)], layouts[i % len(layouts)]


def generate_dataset(out_dir: str | Path, n: int, seed: int, templates: Sequence[str] = ("2008", "2019", "2021"),
                     layouts: Sequence[str] = LAYOUTS, error_rate: float = 0.3,
                     kinds: Sequence[str] = INJECT_KINDS) -> list[dict[str, Any]]:
    """Write ``n`` cases (templates and layouts round-robin, errors at ``error_rate``) and ``cases.jsonl``.

    ``kinds``: the errors drawn from; add META_INJECT_KINDS for report-level errors too (each case draws
    among the kinds its template can show).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"xxgk-dataset:{seed}")
    index = []
    for i in range(n):
        template, layout = slot(i, templates, layouts)
        fits = [k for k in kinds if k != "fee_unit" or template == "2021"]
        inject = rng.choice(fits) if rng.random() < error_rate else None
        report = generate(seed * 100_000 + i, template, inject=inject)
        src, g = write_case(report, layout, out)
        index.append({"case": src.stem, "source": src.name, "gold": g.name, "template": template, "layout": layout,
                      "seed": report.seed, "inject": inject,
                      "expected_rules": sorted({str(f["rule"]) for f in report.expected_findings}),
                      "quirks": report.style.quirks(layout)})
    with (out / "cases.jsonl").open("w", encoding="utf-8") as fh:
        for row in index:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return index


# the small committed cases under tests/fixtures/generated (seed, template, layout, inject)
FIXTURES: tuple[tuple[int, str, str, str | None], ...] = (
    (11, "2019", "html", None), (12, "2019", "docx", None), (13, "2019", "md", None),
    (14, "2019", "layout", None), (15, "2019", "runtogether", None), (16, "2019", "cells", "t3.balance"),
    (21, "2021", "html", "prose"), (22, "2021", "docx", None), (23, "2021", "md", "t4.group_total"),
    (24, "2021", "layout", None), (25, "2021", "runtogether", None), (26, "2021", "cells", "blank"),
)


def write_fixtures(out_dir: str | Path) -> list[tuple[Path, Path]]:
    """(Re)write the committed fixture cases; the same code always writes the same bytes."""
    return [write_case(generate(seed, template, inject=inject), layout, out_dir)
            for seed, template, layout, inject in FIXTURES]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.generator", description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--templates", default="2008,2019,2021")
    ap.add_argument("--layouts", default=",".join(LAYOUTS))
    ap.add_argument("--error-rate", type=float, default=0.3)
    ap.add_argument("--fixtures", action="store_true", help="write the committed fixture cases instead")
    ap.add_argument("--report-errors", action="store_true",
                    help="also draw report-level errors (" + ", ".join(META_INJECT_KINDS) + ")")
    a = ap.parse_args(argv)
    if a.fixtures:
        written = write_fixtures(a.out_dir)
        print(f"wrote {len(written)} fixture cases to {a.out_dir}")
        return 0
    index = generate_dataset(a.out_dir, a.n, a.seed, tuple(a.templates.split(",")), tuple(a.layouts.split(",")),
                             a.error_rate, INJECT_KINDS + (META_INJECT_KINDS if a.report_errors else ()))
    errs = sum(1 for r in index if r["inject"])
    print(f"wrote {len(index)} cases ({errs} with an injected error) to {a.out_dir} (index cases.jsonl)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
