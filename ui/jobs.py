"""Uploads in: the same intake as ``xxgk batch``, a job in the store, extraction in worker processes.

An upload's bytes go through ``extractor.batch.inputs_from_bytes`` (zip archives, nested ones too,
within the batch's budgets) and ``add_inputs`` (stored once per SHA-256, duplicates and files already
extracted skipped) into a job of kind ``ui``. One thread of the app drains those jobs with the batch's
``JobRunner``: the files are read and extracted in its worker processes — never in the Streamlit
process — under the limits the batch workers run with, and a job left unfinished by a stopped server
is taken up again by the next one. The upload page only follows the job's counts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from extractor.batch import STALE_AFTER, Input, JobRunner, add_inputs, inputs_from_bytes, requeue_dead
from extractor.settings import settings
from extractor.store import JobRow, Store

KIND = "ui"
UPLOAD_TYPES: list[str] = ["pdf", "docx", "html", "htm", "txt", "md", "png", "jpg", "jpeg", "tif", "tiff", "zip"]


def max_upload_mb() -> int:
    """The largest file one upload may be, in MB: ``$XXGK_UI_MAX_MB`` (default 50); Streamlit is given the same."""
    return settings().ui.max_upload_mb


def _workers() -> int:
    return settings().ui.workers


def _timeout() -> float:
    return max(10.0, settings().ui.timeout)


def submit(store: Store, files: Iterable[tuple[str, bytes]], *, extractor: str = "rules", who: str) -> JobRow:
    """Put uploaded files in a job and make sure a worker thread is draining the queue."""
    files = list(files)
    limit = max_upload_mb() * 1024 * 1024

    def inputs() -> Iterator[Input]:  # one member at a time: an archive is never held expanded
        for name, data in files:
            if len(data) > limit:  # Streamlit refuses these already; a second look costs nothing
                yield Input(name, error=f"文件过大 / larger than {max_upload_mb()} MB (XXGK_UI_MAX_MB)")
            else:
                yield from inputs_from_bytes(data, name)

    items = add_inputs(store, None, inputs(), extractor=extractor, force=False, who=who)
    options = {"extractor": extractor, "force": False, "files": [name for name, _ in files]}
    job = store.create_job(options, items, kind=KIND, created_by=who)
    store.finish_job_if_complete(job.id)  # every file settled at intake (duplicates, unreadable)
    start_worker(store)
    return store.get_job(job.id)


# -- the worker thread --------------------------------------------------------------------------------
_LOCK = threading.Lock()
_THREADS: dict[int, threading.Thread] = {}


def start_worker(store: Store) -> None:
    """Start the thread that drains this store's UI jobs, unless it is running."""
    with _LOCK:
        thread = _THREADS.get(id(store))
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_drain, args=(store,), name="xxgk-ui-jobs", daemon=True)
        _THREADS[id(store)] = thread
        thread.start()


def _drain(store: Store) -> None:
    """Run every unfinished UI job to its end, oldest first; stop when none is left."""
    while True:
        with _LOCK:  # deciding to stop and being seen as stopped is one step (see start_worker)
            jobs = [j for j in store.unfinished_jobs() if j.kind == KIND]
            if not jobs:
                _THREADS.pop(id(store), None)
                return
        ran = False
        for job in sorted(jobs, key=lambda j: j.created_at):
            requeue_dead(store, job.id)  # left by a server that stopped
            if store.job_counts(job.id).queued == 0:
                store.finish_job_if_complete(job.id)
                continue
            JobRunner(store, workers=_workers(), timeout=_timeout(), job_id=job.id).run()
            ran = True
        if not ran:  # only items another process still holds: look again in a while
            time.sleep(min(5.0, STALE_AFTER.total_seconds()))


def wait(store: Store, job_id: str, timeout: float = 120.0, poll: float = 0.2) -> JobRow:
    """Block until a job is finished (tests and scripts); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        job = store.get_job(job_id)
        if job.status not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(poll)


def recent(store: Store, who: str, since: timedelta = timedelta(days=2), limit: int = 10) -> list[JobRow]:
    """This reviewer's upload jobs, newest first."""
    cutoff = datetime.now(UTC) - since
    return [j for j in store.list_jobs(limit=200) if j.kind == KIND and j.created_by == who
            and j.created_at >= cutoff][:limit]
