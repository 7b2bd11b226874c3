"""``xxgk eval``: measure extraction accuracy and rule recall, and gate on them."""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path

import click

from evals.dataset import load_dataset, repo_cases, shared_real
from evals.generator import INJECT_KINDS, META_INJECT_KINDS, generate_dataset
from evals.journal import Journal, read_journal
from evals.metrics import CaseScore
from evals.pairs import PairScore, run_pairs
from evals.pairs import summary as pair_summary
from evals.report import overall, to_markdown, write
from evals.runner import interleaved, run_eval


def _score_pairs(n: int, seed: int) -> list[PairScore]:
    def progress(score: PairScore) -> None:
        verdict = "paired" if score.paired else "NOT PAIRED"
        click.echo(f"[pair] {score.slug} {score.layout}: {verdict}, raised {', '.join(score.raised) or 'nothing'}",
                   err=True)

    return run_pairs(n, seed, on_score=progress)


@click.command("eval")
@click.argument("datasets", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--extractor", "extractors", multiple=True, type=click.Choice(["rules", "llm", "hybrid"]),
              help="Repeat to compare extractors (default: rules).")
@click.option("--generate", "n_generate", type=int, default=0,
              help="Also generate N synthetic cases (all templates and layouts) for this run.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated cases.")
@click.option("--error-rate", type=float, default=0.3, show_default=True, help="Share of generated cases with an injected error.")
@click.option("--repo/--no-repo", "with_repo", default=None, help="Include the repo's own cases (default: only when no DATASET is given).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("eval-out"), show_default=True)
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--min-accuracy", type=float, default=None, help="Fail (exit 1) when value accuracy (%) is below this.")
@click.option("--min-recall", type=float, default=None, help="Fail when rule recall (%) is below this.")
@click.option("--max-false", type=int, default=None, help="Fail when clean cases raise more findings than this.")
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Score only the first N cases, taken round-robin over template × layout (a balanced sample).")
@click.option("--resume", is_flag=True,
              help="Keep the cases already scored in OUT/cases.jsonl by an earlier run of the same command.")
@click.option("--report-errors", is_flag=True,
              help="Generated cases also draw report-level errors (a template of another year, a statistics "
                   "period of another year, 收费金额 in 元); off by default so the published set stays the same.")
@click.option("--real", "real_dirs", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of real reports with gold files, scored first as the real tier (default: the shared "
                   "folder's real/ when it is on this machine, see XXGK_SHARED).")
@click.option("--real-gate/--no-real-gate", default=True, show_default=True,
              help="Fail when a real report has a wrong value, a value neither read nor left to a person with its "
                   "candidates, or an expected finding not raised.")
@click.option("--pairs", "n_pairs", type=click.IntRange(0), default=0,
              help="Also generate N pairs of one agency's consecutive years (half with a broken cross-year link) "
                   "and score the cross-year rules on them, read by the table reader.")
def eval_cmd(datasets: tuple[Path, ...], extractors: tuple[str, ...], n_generate: int, seed: int, error_rate: float,
             with_repo: bool | None, out: Path, workers: int, min_accuracy: float | None, min_recall: float | None,
             max_false: int | None, limit: int | None, resume: bool, report_errors: bool, n_pairs: int,
             real_dirs: tuple[Path, ...], real_gate: bool) -> None:
    """Score extractors against gold files: the real tier first, then DATASET folders (default: the repo's own
    cases) and generated ones."""
    cases = []
    shared = shared_real()
    reals = real_dirs or ((shared,) if shared is not None else ())
    for d in reals:
        cases += load_dataset(d, origin="real")
    if with_repo or (with_repo is None and not datasets):
        cases += repo_cases()
    for d in datasets:
        if any(d.resolve() == r.resolve() for r in reals):
            continue  # already scored as the real tier
        cases += load_dataset(d)
    tmp = None
    if n_generate:
        tmp = tempfile.TemporaryDirectory(prefix="xxgk-eval-")
        generate_dataset(tmp.name, n_generate, seed, error_rate=error_rate,
                         kinds=INJECT_KINDS + (META_INJECT_KINDS if report_errors else ()))
        cases += load_dataset(tmp.name, origin="generated")
    if not cases and not n_pairs:
        raise click.UsageError("no eval cases found")
    journal_path = out / "cases.jsonl"
    done = read_journal(journal_path) if resume else {}
    journal = Journal(journal_path, resume)
    extractors = extractors or ("rules",)
    chosen = interleaved(cases)[:limit]
    todo = len(chosen) * len(extractors) - sum(1 for c in chosen for e in extractors if (c.slug, e) in done)
    count = 0

    def progress(score: CaseScore) -> None:
        nonlocal count
        count += 1
        journal(score)
        click.echo(f"[{count}/{todo}] {score.extractor} {score.slug}: {score.right}/{score.total} right, "
                   f"{score.seconds:.1f} s", err=True)

    try:
        run = run_eval(cases, extractors, workers=workers, done=done, on_score=progress, limit=limit)
    finally:
        journal.close()
    pairs = _score_pairs(n_pairs, seed) if n_pairs else None
    command = "xxgk eval " + " ".join(shlex.quote(a) for a in sys.argv[2:] if a != "--resume")
    paths = write(run, out, command, pairs)
    click.echo(to_markdown(run, command, pairs).split("## By template")[0])
    click.echo("written: " + ", ".join(str(p) for p in paths.values()))
    failed = []
    if pairs:
        t = pair_summary(pairs)
        recall = 100.0 * t["raised"] / t["expected"] if t["expected"] else 100.0
        if t["paired"] < t["pairs"]:
            failed.append(f"year pairs: {t['pairs'] - t['paired']} of {t['pairs']} not paired")
        if min_recall is not None and recall < min_recall:
            failed.append(f"year pairs: cross-year recall {recall:.2f}% < {min_recall}%")
        if max_false is not None and t["false"] > max_false:
            failed.append(f"year pairs: {t['false']} findings on clean pairs > {max_false}")
    for name, t in overall(run, "real").items() if real_gate else ():
        if t.wrong or t.unread or t.raised < t.expected_findings:
            failed.append(f"real tier ({name}): {t.wrong} wrong, {t.unread} not read, "
                          f"{t.expected_findings - t.raised} expected findings not raised")
    for name, t in overall(run).items():
        if min_accuracy is not None and t.accuracy < min_accuracy:
            failed.append(f"{name}: accuracy {t.accuracy:.2f}% < {min_accuracy}%")
        if min_recall is not None and t.recall < min_recall:
            failed.append(f"{name}: rule recall {t.recall:.2f}% < {min_recall}%")
        if max_false is not None and t.false_on_clean > max_false:
            failed.append(f"{name}: {t.false_on_clean} findings on clean cases > {max_false}")
    if tmp is not None:
        tmp.cleanup()
    if failed:
        click.echo("EVAL GATE FAILED: " + "; ".join(failed), err=True)
        sys.exit(1)



