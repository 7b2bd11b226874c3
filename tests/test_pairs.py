"""Generated pairs of consecutive years: consistent unless broken on purpose, and scored end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evals.generator import GeneratorError
from evals.pairs import PAIR_INJECTS, generate_pair, run_pairs, score_pair, summary
from extractor.rules import validate, validate_years
from extractor.sketch import sketch_text
from schemas.results import DocumentInfo, ReportMeta, Result, Value

IDENTITY_KINDS = {"sum", "inequality"}


def _result(report) -> Result:
    """The report as read perfectly: its values, and the sketch of its narrative."""
    values = {k: Value(key=k, value=v, status="number" if v is not None else "blank", raw="" if v is None else str(v))
              for k, v in report.values.items()}
    narrative = "\n".join(b.text for b in report.blocks if b.kind != "table")
    return Result(meta=ReportMeta(agency=report.agency, year=report.year, template=report.template), values=values,
                  document=DocumentInfo(text_sketch=sketch_text(narrative)))


def _identity_findings(report) -> list[str]:
    found = validate(_result(report).values, template=report.template)
    return [f.rule for f in found if f.kind in IDENTITY_KINDS and f.rule != "value.blank_total"]


@pytest.mark.parametrize("template", ["2008", "2019", "2021"])
@pytest.mark.parametrize("seed", range(6))
def test_a_clean_pair_is_one_agency_in_consecutive_years_and_consistent(template: str, seed: int) -> None:
    pair = generate_pair(seed, template)
    assert pair.after.agency == pair.before.agency and pair.after.year == pair.before.year + 1
    assert validate_years(_result(pair.after), _result(pair.before)) == []
    assert _identity_findings(pair.before) == [] and _identity_findings(pair.after) == []


@pytest.mark.parametrize("template,inject", [(t, k) for t, kinds in PAIR_INJECTS.items() for k in kinds])
@pytest.mark.parametrize("seed", range(3))
def test_each_break_raises_its_rule_and_leaves_each_year_consistent(template: str, inject: str, seed: int) -> None:
    pair = generate_pair(seed, template, inject)
    raised = {f.rule for f in validate_years(_result(pair.after), _result(pair.before))}
    assert set(pair.expected) <= raised and pair.expected
    if inject != "copy":  # a copied report repeats last year's carry-over as well: more findings are right
        assert raised == set(pair.expected)
        assert _identity_findings(pair.before) == [] and _identity_findings(pair.after) == []


def test_a_break_that_does_not_apply_to_the_template_is_refused() -> None:
    with pytest.raises(GeneratorError):
        generate_pair(1, "2008", "carry_over")


@pytest.mark.parametrize("layout", ["pdf", "docx", "runtogether"])
def test_rendered_pairs_are_read_paired_and_checked(layout: str) -> None:
    score = score_pair(generate_pair(3, "2021", "carry_over"), layout)
    assert score.error == "" and score.paired
    assert score.missed == [] and "years.t3_carry_over" in score.raised
    clean = score_pair(generate_pair(4, "2019"), layout)
    assert clean.paired and clean.false == []


def test_run_pairs_balances_templates_and_counts_misses_and_false_alarms() -> None:
    scores = run_pairs(9, 2)
    assert {s.template for s in scores} == {"2008", "2019", "2021"}
    assert [s.layout for s in scores[:9]] == ["html", "docx", "pdf", "wordhtml", "md", "layout", "cells", "runtogether",
                                              "pagetext"]
    t = summary(scores)
    assert t["paired"] == 9 and t["raised"] == t["expected"] and t["false"] == 0
    broken = scores[0].__class__(**{**scores[0].__dict__, "inject": "carry_over", "expected": ["years.t3_carry_over"],
                                    "raised": []})
    assert summary([broken])["raised"] == 0 and broken.missed == ["years.t3_carry_over"]
    alarm = scores[0].__class__(**{**scores[0].__dict__, "inject": None, "expected": [], "raised": ["years.same_text"]})
    assert summary([alarm])["false"] == 1


def test_eval_command_scores_pairs_and_gates_on_them(tmp_path: Path) -> None:
    from extractor.cli import main

    out = CliRunner().invoke(main, ["eval", "--no-repo", "--pairs", "6", "--out", str(tmp_path), "--max-false", "0",
                                    "--min-recall", "100"])
    assert out.exit_code == 0, out.output
    assert "## Year against year: 6 pairs" in out.output
    data = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))["year_pairs"]
    assert data["pairs"] == 6 and data["paired"] == 6 and len(data["cases"]) == 6
