"""``xxgk batch``: a folder or zip of reports through the extractor, resumable, with exports.

Exit status: 0 when every readable file was processed (findings in the reports do not matter);
1 when any file failed (listed with its reason in the summary and in ``failed.csv``); 2 for a usage
error; 130 when interrupted (run the same command again to resume).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from extractor._errors import XxgkError


def _console():
    from rich.console import Console

    return Console(stderr=True)


@click.command("batch", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("xxgk-out"),
              show_default=True, help="Folder for results.jsonl, values.csv/.xlsx/.parquet, findings.csv, failed.csv.")
@click.option("--extractor", "extractor_name", type=click.Choice(["rules", "llm", "hybrid"]), default="rules",
              show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker processes (the reader is CPU-bound: one per core).")
@click.option("--force", is_flag=True, help="Extract again files an earlier run already extracted.")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL or SQLite path (default: $XXGK_DATABASE_URL, else the data directory).")
@click.option("--labels", is_flag=True, help="Chinese labels as column headers in values.csv and values.xlsx.")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Seconds (wall and CPU) allowed per file [default: $XXGK_MAX_SECONDS, else 300].")
@click.option("--llm-batch-api", "llm_batch_api", is_flag=True,
              help="With --extractor llm: send the model calls through the OpenAI Batch API (cheaper, slower).")
def batch(paths: tuple[Path, ...], out_dir: Path, extractor_name: str, workers: int, force: bool, db_url: str | None,
          labels: bool, timeout: float | None, llm_batch_api: bool) -> None:
    """Extract every report in PATHS (files, folders, zip archives) and write the exports to --out.

    The job is kept in the database: after Ctrl-C or a crash, the same command resumes it. Files
    already extracted are skipped unless --force; the same file twice is processed once.

    Exit status: 0 all readable files processed; 1 some file failed; 130 interrupted.
    """
    from extractor.batch import (  # lazy: start-up
        BatchError,
        Tally,
        job_layout,
        job_reports,
        start_job,
        summarize,
        worker_name,
    )
    from extractor.exports import ExportWriter, iter_rows  # lazy: start-up
    from extractor.pool import start_forkserver  # lazy: start-up
    from extractor.similar import similar_in_store  # lazy: start-up
    from extractor.similar import to_csv as similar_csv  # lazy: start-up
    from extractor.store import open_store  # lazy: start-up
    from extractor.years import check_store, to_csv  # lazy: start-up

    console = _console()
    if llm_batch_api and extractor_name != "llm":
        raise click.UsageError("--llm-batch-api needs --extractor llm")
    start_forkserver()  # the workers' imports run while the files are stored
    try:
        store = open_store(db_url)
    except XxgkError as err:
        raise click.ClickException(str(err)) from err
    try:
        try:
            job, resumed = start_job(store, paths, extractor=extractor_name, force=force, who="cli")
        except BatchError as err:
            raise click.ClickException(str(err)) from err
        c = job.counts
        verb = "继续 / resuming" if resumed else "开始 / starting"
        console.print(f"[bold]xxgk batch[/] {verb} job {job.id}: {c.total} files, {c.queued} to extract, "
                      f"{c.finished} already settled")
        t0 = time.perf_counter()
        try:
            if llm_batch_api:
                _batch_api(store, job.id, console)
            _run_with_progress(store, job.id, workers, timeout, console)
        except KeyboardInterrupt:
            store.requeue_running(job.id, workers={worker_name()})  # this run's files; another run's stay
            console.print(f"\n[yellow]中断 / interrupted[/]: job {job.id} is saved; run the same command to resume.")
            sys.exit(130)
        seconds = time.perf_counter() - t0
        unreadable: list[tuple[str, str]] = []
        tally = Tally()
        with ExportWriter(out_dir, job_layout(store, job.id, labels=labels)) as writer:  # every export in one pass
            for row in iter_rows(job_reports(store, job.id), unreadable):
                writer.add(row)
                tally.add(row)
            summary = summarize(store, job.id, tally)
            for name, reason in unreadable:
                console.print(f"导出 / export: {name}: {reason}", markup=False, highlight=False)
            years = check_store(store, tally.document_ids)
            alike = similar_in_store(store, tally.document_ids)
            written = writer.close(failures=summary.failures,
                                   extra_csv={"years": to_csv(years), "similar": similar_csv(alike)})
        _print_summary(console, summary, seconds, written)
        console.print(f"跨年度 / cross-year: {years.findings} finding(s) in {len(years.pairs)} pair(s) of consecutive "
                      "years, against the reports already in the database (years.csv)", highlight=False)
        console.print(f"雷同 / alike: {len(alike)} pair(s) of different agencies' reports with nearly the same "
                      "narrative (similar.csv)", highlight=False)
        sys.exit(summary.exit_code)
    finally:
        store.close()


def _batch_api(store, job_id: str, console) -> None:
    """The model calls through the OpenAI Batch API first; the extraction then finds the answers cached."""
    try:
        import openai

        from extractor.llm.batch_api import run_batch_api  # extra [llm]
    except ImportError as err:
        raise click.ClickException(f"--llm-batch-api needs the [llm] extra: pip install 'xxgk[llm]' ({err})") from err
    try:
        run_batch_api(store, job_id, console=console)
    except XxgkError as err:
        raise click.ClickException(str(err)) from err
    except openai.OpenAIError as err:
        raise click.ClickException(f"OpenAI Batch API: {type(err).__name__}: {err}") from err


def _run_with_progress(store, job_id: str, workers: int, timeout: float | None, console) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from extractor.batch import JobRunner  # lazy: start-up

    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("[green]✓{task.fields[done]}[/] [red]✗{task.fields[failed]}[/] "
                             "[dim]↷{task.fields[skipped]}[/]"),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                  transient=False, refresh_per_second=4) as bar:
        counts = store.job_counts(job_id)
        task = bar.add_task("提取 / extracting", total=counts.total, completed=counts.finished, done=counts.done,
                            failed=counts.failed, skipped=counts.skipped)

        def on_progress(p) -> None:
            bar.update(task, total=p.total, completed=p.finished, done=p.done, failed=p.failed, skipped=p.skipped)

        JobRunner(store, workers=workers, timeout=timeout, job_id=job_id, on_progress=on_progress).run()


def _print_summary(console, s, seconds: float, written: dict) -> None:
    from rich.table import Table

    from extractor.batch import failure_lines  # lazy: start-up

    console.print(f"\n[bold]汇总 / summary[/] job {s.job_id} ({seconds:.1f} s)")
    t = Table(show_header=False, box=None, padding=(0, 2))
    for label, n in (("文件 / files", s.files), ("完成 / done", s.done), ("失败 / failed", s.failed),
                     ("重复 / duplicates", s.duplicates), ("已提取过 / already extracted", s.skipped),
                     ("报告 / reports exported", s.reports)):
        t.add_row(label, str(n))
    if s.ocr_pages:
        t.add_row("OCR 页 / pages read by OCR", str(s.ocr_pages))
        t.add_row("待确认的识别数字 / doubtful OCR cells", str(s.ocr_doubtful))
    console.print(t)
    if s.findings_by_rule:
        ft = Table("规则 / rule", "发现 / findings", title="按规则的发现 / findings per rule", title_justify="left")
        for rule, n in s.findings_by_rule.items():
            ft.add_row(rule, str(n))
        console.print(ft)
    if s.failures:
        console.print("[bold red]失败的文件 / failed files[/]")
        for name, reason in failure_lines(s.failures):
            console.print(f"  {name}: {reason}", markup=False, highlight=False)
    console.print("导出 / exports: " + ", ".join(str(p) for p in written.values()), highlight=False)


__all__ = ["batch"]
