"""``xxgk worker``: extract the files of the batch jobs in a shared database, from any host.

One ``xxgk batch`` stores the files in the database, works its job and writes the exports; every other
host runs ``xxgk worker --db URL`` and claims files of the same jobs. The claim is a row lock in the
database (one running item per document, whatever the job or host), so no file is extracted twice;
nothing is shared between hosts but the database URL. A host that dies leaves its items running
without a heartbeat: after ``STALE_AFTER`` another process puts them back in the queue.
"""

from __future__ import annotations

import signal
import sys

import click


@click.command("worker", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", default=None, metavar="URL",
              help="The batch's database (PostgreSQL for several hosts; default: $XXGK_DATABASE_URL).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker processes on this host (one per core).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Seconds (wall and CPU) allowed per file [default: $XXGK_MAX_SECONDS, else 300].")
@click.option("--idle-exit", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Stop after this many seconds with no file to claim (default: run until Ctrl-C).")
def worker(db_url: str | None, workers: int, timeout: float | None, idle_exit: float | None) -> None:
    """Claim and extract files of the unfinished batch jobs in the database until stopped.

    Exit status: 0 when stopped by --idle-exit or SIGTERM; 130 when interrupted.
    """
    from extractor.batch import JobRunner, worker_name
    from extractor.store import open_store

    store = open_store(db_url)
    runner = JobRunner(store, workers=workers, timeout=timeout, job_id=None, kinds=("batch",), idle_exit=idle_exit)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    click.echo(f"xxgk worker {worker_name()}: {workers} worker processes on {store.engine.url.render_as_string(hide_password=True)}", err=True)
    try:
        runner.run()
    except KeyboardInterrupt:
        click.echo("中断 / interrupted: the files in flight go back in the queue", err=True)
        sys.exit(130)
    finally:
        store.close()


__all__ = ["worker"]
