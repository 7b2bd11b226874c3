"""The ``xxgk`` command line.

Start-up matters (a reviewer runs ``xxgk`` hundreds of times, scripts call it per file): this module
imports only click, and each command imports what it uses when it runs. The commands living in other
modules are listed by name in :data:`COMMANDS` and imported only when invoked (or for ``--help``); an
import error there is reported as an error of that command, never as a silently missing command.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from extractor._errors import InputError, XxgkError
from extractor.sketch import COPIED

if TYPE_CHECKING:
    from extractor.store import Store
    from schemas.results import Result

# command name → (module, attribute, the extra that installs its dependencies)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "batch": ("extractor.batch_cli", "batch", "store"),
    "worker": ("extractor.worker_cli", "worker", "store"),
    "serve": ("extractor.api_server", "serve", "api"),
    "llm": ("extractor.llm.local_cli", "llm", "local"),
    "ui": ("ui.launch", "ui", "ui"),
    "eval": ("evals.cli", "eval_cmd", "eval"),
}


class _LazyGroup(click.Group):
    """A group whose commands from :data:`COMMANDS` are imported when used, and in which every error
    xxgk raises on purpose ends a command with one line and exit 1, never a traceback (a short password
    for ``ui --add-user``, a database that cannot be opened, a bad setting …)."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except XxgkError as err:
            raise click.ClickException(err.one_line() if isinstance(err, InputError) else str(err)) from err

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``; a command whose extra is missing is listed with what to install."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            try:
                cmd = self.get_command(ctx, name)
            except click.ClickException:
                rows.append((name, f"(pip install 'xxgk[{COMMANDS[name][2]}]')"))
                continue
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def load_command(name: str) -> click.Command:
    """The command registered as ``name`` in :data:`COMMANDS`, imported now.

    A missing dependency (an extra not installed) raises a :class:`click.ClickException` naming the
    extra to install; any other error in the command's module propagates as it is.
    """
    module, attr, extra = COMMANDS[name]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] in ("extractor", "schemas", "evals", "ui"):
            raise  # our own module missing: a bug, not an uninstalled extra
        raise click.ClickException(
            f"xxgk {name} 需要安装 xxgk[{extra}] / xxgk {name} needs `pip install 'xxgk[{extra}]'` "
            f"(missing module {err.name})") from err
    cmd = getattr(mod, attr)
    if not isinstance(cmd, click.Command):
        raise TypeError(f"{module}.{attr} is not a click command")
    return cmd


def _fail_line(name: str, err: Exception) -> str:
    msg = err.one_line() if hasattr(err, "one_line") else str(err)  # type: ignore[attr-defined]
    return f"xxgk: {name}: {msg}"


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xxgk")
def main() -> None:
    """xxgk — 政府信息公开工作年度报告 → 经过校验的结构化数据."""


@main.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["summary", "json", "csv"]), default="summary",
              help="summary: readable tables; json: the full result; csv: one row per report.")
@click.option("--flat", is_flag=True, help="Print a JSON object {key: value} (a list for several files).")
@click.option("--extractor", "extractor_name", type=click.Choice(["rules", "llm", "hybrid"]), default="rules",
              show_default=True)
@click.option("--labels", is_flag=True, help="CSV: Chinese labels as column headers.")
def extract_cmd(files: tuple[Path, ...], fmt: str, flat: bool, extractor_name: str, labels: bool) -> None:
    """Extract and check report FILES (PDF, scans, PNG/JPEG/TIFF, DOCX, HTML, TXT, MD)."""
    from extractor.ocr_progress import progress  # lazy: start-up

    token = progress.set(_ocr_progress if sys.stderr.isatty() else None)
    try:
        results, failed = _load_results(files, extractor_name, saved=False,
                                        output=None if flat or fmt != "summary" else "extractor.render")
    finally:
        progress.reset(token)
    if flat:
        flats = [r.flat() for r in results]
        click.echo(json.dumps(flats[0] if len(files) == 1 and flats else flats, ensure_ascii=False))
    elif fmt == "json":
        dumped = [r.model_dump(mode="json") for r in results]
        click.echo(json.dumps(dumped[0] if len(files) == 1 and dumped else dumped, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        click.echo(results_csv(results, labels=labels), nl=False)
    else:
        from rich.console import Console

        from extractor.render import render_summary  # lazy: start-up

        console = Console()
        for r in results:
            render_summary(r, console)
    if failed:
        sys.exit(1)


@main.command("rules")
@click.option("--template", type=click.Choice(["2008", "2019", "2021"]), default=None)
def rules_cmd(template: str | None) -> None:
    """List the validation rules (the registry), one line per rule family."""
    from rich.console import Console
    from rich.table import Table

    from extractor.rules import RULES  # lazy: start-up

    seen: dict[tuple[str, str], list] = {}
    for r in RULES:
        if template and template not in r.templates:
            continue
        seen.setdefault((r.id, r.title), []).append(r)
    t = Table("规则", "模板", "类型", "级别", "说明", "来源")
    for (rid, title), rs in seen.items():
        templates = sorted(set().union(*(r.templates for r in rs)))
        t.add_row(rid, "/".join(templates), rs[0].kind, rs[0].severity, title + (f"（{len(rs)} 处）" if len(rs) > 1 else ""),
                  rs[0].source)
    Console().print(t)


def _ocr_progress(done: int, total: int, seconds: float, cached: bool) -> None:
    """One line per page on a terminal while a scan is read (OCR takes seconds a page)."""
    if total > 1:
        how = "缓存 / cached" if cached else f"{seconds:.1f} s"
        click.echo(f"OCR {done}/{total} 页 / pages ({how})", err=True)


def _load_results(files: tuple[Path, ...], extractor_name: str, *, saved: bool = True,
                  output: str | None = None) -> tuple[list[Result], int]:
    """Results for FILES and how many failed (each failure printed, the rest go on).

    Every report is extracted in a worker process under the input budgets (memory, time, sizes), so a
    hostile file fails alone with one line. With ``saved``, a ``.json`` file is a saved result
    (``xxgk extract --format json``) and is read. The result models and the ``output`` module (the
    command's printer) are imported while the worker reads the first file.
    """
    from extractor.workers import extract_files  # lazy: start-up

    if extractor_name != "rules":
        from extractor.api import get_extractor  # lazy: start-up

        get_extractor(extractor_name)  # a bad LLM configuration is one error, before any file

    def meanwhile() -> None:
        for module in ("schemas.results", *([output] if output else [])):
            importlib.import_module(module)

    results: list[Result] = []
    failed = 0
    reports = [p for p in files if not (saved and p.suffix.lower() == ".json")]
    outcomes = dict(zip(reports, extract_files(reports, extractor_name, meanwhile))) if reports else {}
    from schemas.results import Result  # lazy: start-up (imported above while the worker read)

    for path in files:
        try:
            if path in outcomes:
                outcome = outcomes[path]
                if not outcome.ok:
                    raise XxgkError(outcome.error)
                results.append(Result.model_validate_json(outcome.result_json))
            else:
                results.extend(_saved_results(path))
        except XxgkError as err:
            failed += 1
            click.echo(_fail_line(path.name, err), err=True)
    return results, failed


def _saved_results(path: Path) -> list[Result]:
    """The results in a file written by ``xxgk extract --format json`` (one object or a list)."""
    from extractor.ingest.budgets import read_regular  # lazy: start-up
    from schemas.results import Result  # lazy: start-up

    try:
        data = json.loads(read_regular(path, path.name).decode("utf-8"))
        return [Result.model_validate(d) for d in (data if isinstance(data, list) else [data])]
    except (ValueError, UnicodeDecodeError) as err:  # not JSON, or JSON that is not a saved result
        raise InputError(str(err).splitlines()[0], zh="不是 xxgk 的提取结果", en="not an xxgk result") from err
    except OSError as err:
        raise InputError(str(err.strerror or err), zh="无法打开文件", en="cannot open the file") from err


def _gather(files: tuple[Path, ...], use_store: bool, db_url: str | None,
            extractor_name: str) -> tuple[list[Result], list[Result], int]:
    """Every report in the database (with ``use_store``), the reports of FILES, and how many files failed."""
    from extractor.years import store_results  # lazy: start-up

    if not files and not use_store:
        raise click.UsageError("give report FILES, --store, or both")
    results: list[Result] = []
    if use_store:  # first, so a file also in the store is read with its reviewers' edits
        with _database(db_url) as store:
            results += store_results(store)
    loaded, failed = _load_results(files, extractor_name)
    return results, loaded, failed


@contextmanager
def _database(db_url: str | None) -> Iterator[Store]:
    """The store at ``db_url``; its errors end the command with their message."""
    from extractor.store import open_store  # lazy: start-up

    try:
        with open_store(db_url) as store:
            yield store
    except XxgkError as err:
        raise click.ClickException(str(err)) from err


_STORE_HELP = "Also every report in the database (latest extraction, reviewers' edits applied)."
_DB_HELP = "With --store: database URL or SQLite path (default: $XXGK_DATABASE_URL, else the data directory)."


@main.command("years")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--store", "use_store", is_flag=True, help=_STORE_HELP)
@click.option("--db", "db_url", default=None, metavar="URL", help=_DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["summary", "json", "csv"]), default="summary",
              help="summary: readable; json: pairs, findings and unpaired reports; csv: one row per finding.")
@click.option("--extractor", "extractor_name", type=click.Choice(["rules", "llm", "hybrid"]), default="rules",
              show_default=True)
@click.option("--agency", default=None, metavar="NAME",
              help="Treat every report of FILES as this agency's (its name printed two ways, or not detected); "
                   "the database's reports keep theirs.")
def years_cmd(files: tuple[Path, ...], use_store: bool, db_url: str | None, fmt: str, extractor_name: str,
              agency: str | None) -> None:
    """Check each agency's reports against its report of the year before.

    FILES are reports or saved results (``xxgk extract --format json``); with --store, the reports
    in the database join them (``xxgk batch`` puts them there). They are paired by the detected
    agency and year, and every consecutive pair is checked (上年结转 = 上年的结转下年度, …).
    """
    from extractor import years  # lazy: start-up

    if use_store and not files:  # the database alone: let it load only what can pair
        with _database(db_url) as store:
            report, failed = years.check_store(store), 0
    else:
        stored, loaded, failed = _gather(files, use_store, db_url, extractor_name)
        if agency:  # the reviewer knows better than the detection (a name printed two ways, or not at all)
            loaded = [r.model_copy(update={"meta": r.meta.model_copy(update={"agency": agency})}) for r in loaded]
        report = years.check_years([*stored, *loaded])
    if fmt == "json":
        click.echo(json.dumps(years.to_json(report), ensure_ascii=False, indent=1))
    elif fmt == "csv":
        click.echo(years.to_csv(report), nl=False)
    else:
        from rich.console import Console

        from extractor.render import render_years  # lazy: start-up

        render_years(report, Console())
    if failed:
        sys.exit(1)


@main.command("confirmed")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .csv, .xlsx or .parquet (the format follows the suffix).")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL or SQLite path (default: $XXGK_DATABASE_URL, else the data directory).")
@click.option("--agency", default=None, metavar="NAME", help="Only this agency's reports.")
@click.option("--year", type=int, default=None, help="Only the reports of this year.")
@click.option("--template", type=click.Choice(["2008", "2019", "2021"]), default=None, help="Only this template.")
@click.option("--labels", is_flag=True, help="Chinese labels as column headers (and sheet names in .xlsx).")
def confirmed_cmd(out: Path, db_url: str | None, agency: str | None, year: int | None, template: str | None,
                  labels: bool) -> None:
    """Write the confirmed data: a row per report a reviewer confirmed, the values as confirmed (their edits
    included), who confirmed it and when — the review page's download, from the command line."""
    from extractor.exports import CONFIRMED_FORMATS, confirmed_export  # lazy: start-up

    kind = out.suffix.lower().lstrip(".")
    if kind not in CONFIRMED_FORMATS:
        raise click.BadParameter(f"the file must end in .{', .'.join(CONFIRMED_FORMATS)}", param_hint="--out")
    with _database(db_url) as store:
        rows = store.confirmed_values(agency=agency, year=year, template=template)
    body = confirmed_export(kind, rows, labels=labels)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.write_bytes(body)
    part.replace(out)
    click.echo(f"已确认数据 / confirmed data: {len(rows)} report(s) → {out}", err=True)


@main.command("similar")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--store", "use_store", is_flag=True, help=_STORE_HELP)
@click.option("--db", "db_url", default=None, metavar="URL", help=_DB_HELP)
@click.option("--threshold", type=click.FloatRange(0.5, 1.0), default=COPIED, show_default=True,
              help="Share of the narratives' character 4-grams (figures aside) two reports must have in common.")
@click.option("--format", "fmt", type=click.Choice(["summary", "json", "csv"]), default="summary")
@click.option("--extractor", "extractor_name", type=click.Choice(["rules", "llm", "hybrid"]), default="rules",
              show_default=True)
def similar_cmd(files: tuple[Path, ...], use_store: bool, db_url: str | None, threshold: float, fmt: str,
                extractor_name: str) -> None:
    """Find reports of different agencies whose narratives are nearly the same (copied).

    FILES are reports or saved results; with --store, the reports in the database join them.
    """
    from extractor.similar import similar_reports, to_csv, to_json  # lazy: start-up

    stored, loaded, failed = _gather(files, use_store, db_url, extractor_name)
    results = [*stored, *loaded]
    pairs = similar_reports(results, threshold)
    if fmt == "json":
        click.echo(json.dumps(to_json(pairs), ensure_ascii=False, indent=1))
    elif fmt == "csv":
        click.echo(to_csv(pairs), nl=False)
    else:
        from rich.console import Console

        from extractor.render import render_similar  # lazy: start-up

        render_similar(pairs, len(results), Console())
    if failed:
        sys.exit(1)


def results_csv(results: list[Result], *, labels: bool = False) -> str:
    """One row per report, one column per key of the templates present (the exports' values.csv, no BOM)."""
    from extractor.exports import export_rows, values_csv_text  # lazy: the command's own (start-up)

    rows, _ = export_rows((r.document.name, r) for r in results)  # a Result always reads back
    return values_csv_text(rows, labels=labels)


if __name__ == "__main__":
    main()
