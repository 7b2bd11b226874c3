"""The eval runner's scoring, on a hand-made tiny case, and the runner over the repo's cases."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evals.dataset import Case, load_dataset, repo_cases
from evals.metrics import group, score_case
from evals.runner import run_eval
from schemas.results import Finding, Result, Value


def _result(values: dict, findings: list[Finding]) -> Result:
    return Result(values={k: Value(key=k, value=v, status="number" if v is not None else "blank")
                          for k, v in values.items()}, findings=findings)


def test_scoring_of_a_tiny_hand_made_case():
    gold = {"values": {"t4.复议.维持": 2, "t4.复议.纠正": 1, "t4.复议.其他": None, "t4.复议.总计": 4}}
    expected = [{"rule": "t4.group_total", "keys": ["t4.复议.总计"]},
                {"rule": "prose.mismatch", "keys": ["t3.本年新收.总计"]}]
    raised = Finding(rule="t4.group_total", kind="sum", message="", keys=["t4.复议.总计", "t4.复议.维持"])
    stray = Finding(rule="old.staff_sum", kind="sum", message="", keys=["old.工作人员"], severity="error")
    doubt = Finding(rule="extract.missing", kind="extraction", category="extraction", message="", keys=[])
    result = _result({"t4.复议.维持": 2,        # right
                      "t4.复议.纠正": 7,        # wrong
                      "t4.复议.其他": None,     # right: a blank stays blank
                      # t4.复议.总计 missing
                      "t4.复议.尚未审结": 5},   # invented: gold does not print it
                     [raised, stray, doubt])
    s = score_case(result, gold, expected, slug="tiny", template="2021", layout="md", extractor="rules")
    assert (s.total, s.right, s.wrong, s.missing, s.invented) == (4, 2, 1, 1, 1)
    assert s.keys == {"t4.复议.维持": "right", "t4.复议.纠正": "wrong", "t4.复议.其他": "right",
                      "t4.复议.总计": "missing", "t4.复议.尚未审结": "invented"}
    assert (s.expected_findings, s.raised) == (2, 1)
    assert s.missed == [{"rule": "prose.mismatch", "keys": ["t3.本年新收.总计"]}]
    assert s.false_findings == 1 and s.false == ["old.staff_sum:old.工作人员"]
    assert not s.exact and not s.clean
    totals = group([s], "extractor")[("rules",)]
    assert round(totals.accuracy, 1) == 50.0 and totals.recall == 50.0


def test_blank_in_gold_is_not_zero():
    s = score_case(_result({"old.收费": 0}, []), {"values": {"old.收费": None}}, [], slug="z", template="2008",
                   layout="md", extractor="rules")
    assert (s.right, s.wrong) == (0, 1)


def test_unreadable_case_scores_all_missing():
    s = score_case(None, {"values": {"a": 1, "b": 2}}, [{"rule": "x"}], slug="bad", template="2021",
                   layout="pdf", extractor="rules", error="文件已损坏")
    assert (s.missing, s.raised, s.error) == (2, 0, "文件已损坏")


def test_repo_cases_include_seed_and_generated_with_expected_findings():
    cases = repo_cases()
    slugs = {c.slug for c in cases}
    assert "2017-old-template-report" in slugs
    seed = next(c for c in cases if c.slug == "2017-old-template-report")
    assert len(seed.expected) == 3
    assert any(c.template == "2019" for c in cases) and any(c.template == "2021" for c in cases)


def test_runner_on_the_seed_is_exact(tmp_path):
    seed = next(c for c in repo_cases() if c.slug == "2017-old-template-report")
    run = run_eval([seed])
    (s,) = run.scores
    assert s.exact and s.raised == 3 and s.false_findings == 0


@pytest.fixture
def no_shared(tmp_path, monkeypatch):
    """The eval without the team's shared real reports, for tests about the eval's own mechanics."""
    monkeypatch.setenv("XXGK_SHARED", str(tmp_path / "no-shared-folder"))


def test_eval_command_writes_reports_and_gates(tmp_path, no_shared):
    from evals.cli import eval_cmd

    seed_dir = tmp_path / "ds"
    seed_dir.mkdir()
    from tests.conftest import SEED_GOLD, SEED_TXT

    (seed_dir / SEED_TXT.name).write_bytes(SEED_TXT.read_bytes())
    (seed_dir / SEED_GOLD.name).write_bytes(SEED_GOLD.read_bytes())
    out = tmp_path / "out"
    r = CliRunner().invoke(eval_cmd, [str(seed_dir), "--out", str(out), "--workers", "1", "--min-accuracy", "99"])
    assert r.exit_code == 0, r.output
    data = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    assert data["by_extractor"]["rules"]["accuracy"] == 100.0
    assert (out / "eval.md").exists() and (out / "accuracy_by_layout.png").exists()
    strict = CliRunner().invoke(eval_cmd, [str(seed_dir), "--out", str(out), "--workers", "1", "--max-false", "-1"])
    assert strict.exit_code == 1 and "EVAL GATE FAILED" in strict.output + (strict.stderr or "")


def test_load_dataset_reads_external_folders(tmp_path):
    assert load_dataset(tmp_path) == []
    assert isinstance(Case("a", tmp_path, {"meta": {"template": "2021"}}).template, str)


def test_cases_run_round_robin_over_template_and_layout():
    from evals.runner import interleaved

    cases = repo_cases()
    order = interleaved(cases)
    assert sorted(c.slug for c in order) == sorted(c.slug for c in cases)
    groups = {(c.template, c.layout) for c in cases}
    first = order[:len(groups)]
    assert {(c.template, c.layout) for c in first} == groups  # every group once before any group twice


def test_a_stopped_eval_resumes_from_its_journal(tmp_path, no_shared):
    """Killed part way, the journal keeps what was scored; --resume runs only the rest, and the report
    is the same as a run that was never stopped."""
    from evals.cli import eval_cmd

    out = tmp_path / "out"
    args = ["--out", str(out), "--workers", "1"]
    full = CliRunner().invoke(eval_cmd, args)
    assert full.exit_code == 0, full.output
    lines = (out / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(repo_cases()) > 5
    whole = json.loads((out / "eval.json").read_text(encoding="utf-8"))["by_extractor"]
    # as if killed after five cases, in the middle of writing the sixth
    (out / "cases.jsonl").write_text("\n".join(lines[:5]) + "\n" + lines[5][:40], encoding="utf-8")
    resumed = CliRunner().invoke(eval_cmd, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    ran = [ln for ln in resumed.stderr.splitlines() if ln.startswith("[")]
    assert len(ran) == len(lines) - 5 and ran[0].startswith(f"[1/{len(lines) - 5}] rules ")
    again = json.loads((out / "eval.json").read_text(encoding="utf-8"))["by_extractor"]

    def timeless(t):
        return {k: v for k, v in t["rules"].items() if "second" not in k}

    assert timeless(again) == timeless(whole) and again["rules"]["cases"] == len(lines)
    assert "--resume" not in (out / "eval.md").read_text(encoding="utf-8")


def test_limit_scores_a_balanced_sample(tmp_path, no_shared):
    from evals.cli import eval_cmd
    from evals.runner import interleaved

    out = tmp_path / "out"
    cases = repo_cases()
    r = CliRunner().invoke(eval_cmd, ["--out", str(out), "--workers", "1", "--limit", "4"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(ln) for ln in (out / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x["slug"] for x in rows] == [c.slug for c in interleaved(cases)[:4]]
    by_slug = {c.slug: c for c in cases}
    assert len({(by_slug[x["slug"]].template, by_slug[x["slug"]].layout) for x in rows}) == 4  # four groups


def test_the_real_tier_is_scored_first_and_gated(tmp_path):
    """Real reports come first in the eval and in its report; a wrong value there fails the gate."""
    import shutil

    from evals.cli import eval_cmd
    from tests.conftest import SEED_GOLD, SEED_TXT

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "empty").mkdir()
    shutil.copy(SEED_TXT, real / "seed.txt")
    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    gold["source"] = {"inputs": ["seed.txt"]}
    (real / "seed.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    ok = CliRunner().invoke(eval_cmd, ["--real", str(real), "--no-repo", str(tmp_path / "empty"), "--out", str(out),
                                       "--workers", "1"])
    assert ok.exit_code == 0, ok.output
    md = (out / "eval.md").read_text(encoding="utf-8")
    assert md.index("## Real reports") < md.index("## By extractor") and "| seed |" in md
    data = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    assert data["real"]["rules"]["right"] == 60 and data["real"]["rules"]["wrong"] == 0
    gold["values"]["old.主动公开数"] += 1  # the gold disagrees with the report: a wrong value in the real tier
    (real / "seed.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    bad = CliRunner().invoke(eval_cmd, ["--real", str(real), "--no-repo", str(tmp_path / "empty"), "--out", str(out),
                                        "--workers", "1"])
    assert bad.exit_code == 1 and "real tier (rules): 1 wrong" in bad.output + (bad.stderr or "")
