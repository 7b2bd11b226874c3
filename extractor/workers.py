"""Extraction in worker processes (``extractor.pool``): each file read and extracted under its budgets,
a hostile file costing one worker, never the batch or the command.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extractor._errors import InputError, XxgkError
from extractor.pool import Outcome, ProcessPool, Task, over_memory
from extractor.settings import settings

if TYPE_CHECKING:
    from schemas.results import Result

TEST_DELAY_ENV = "XXGK_TEST_ITEM_DELAY"  # seconds each worker sleeps per file: lets tests kill a batch half-way


def _extract_one(task: Task) -> Outcome:
    """Run in a worker: the public extract(), errors turned into one line (a batch's :class:`JobTask`: read
    from and saved to the store by the worker)."""
    if isinstance(task, JobTask):
        return _extract_job_item(task)
    t0 = time.perf_counter()
    got = _extracted(task, task.path or task.data, t0)
    if isinstance(got, Outcome):
        return got
    return Outcome(task.id, True, result_json=got.model_dump_json(), seconds=time.perf_counter() - t0)


def _extracted(task: Task, source: str | bytes, t0: float) -> Result | Outcome:
    """The Result of ``source``, or the failed Outcome saying why in one line."""
    from extractor.api import extract  # in the worker: ``xxgk extract`` forks it before the heavy imports

    if task.delay:
        time.sleep(task.delay)
    try:
        return extract(source, name=task.name, extractor=task.extractor)
    except InputError as err:
        return Outcome(task.id, False, error=err.one_line(), kind="input", seconds=time.perf_counter() - t0)
    except XxgkError as err:
        return Outcome(task.id, False, error=str(err), kind="backend", seconds=time.perf_counter() - t0)
    except MemoryError:
        return Outcome(task.id, False, error=over_memory(), kind="memory", seconds=time.perf_counter() - t0)
    except OSError as err:
        return Outcome(task.id, False, error=f"无法打开文件 / cannot open the file ({err.strerror or err})",
                       kind="input", seconds=time.perf_counter() - t0)
    except Exception as err:  # noqa: BLE001 - a bug or a library's surprise: one file fails, the batch goes on
        tb = traceback.extract_tb(err.__traceback__)
        where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        return Outcome(task.id, False, error=f"内部错误 / internal error: {type(err).__name__}: {err}{where}",
                       kind="internal", seconds=time.perf_counter() - t0)


@dataclass(frozen=True)
class JobTask(Task):
    """A batch's job item for a worker that reads the document from the store itself (a small one comes with
    its bytes, read by the parent with many others in one query) and returns the Result ready to save
    (:class:`~extractor.store.StoredResult`), so that the parent carries no big file and no Result to parse
    (``id`` is the item's)."""

    document_id: int = 0
    store_url: str = ""
    file_name: str = ""  # the item's name, kept on the result


_readers: dict[str, Any] = {}  # this worker process's reader of stored files per store URL (workers live for many files)


def _extract_job_item(task: JobTask) -> Outcome:
    """Run in a worker: read the item's document from the store, extract it, prepare the Result for the
    store. A store this process cannot read is kind ``store``: the parent then reads for its workers."""
    from sqlalchemy.exc import DBAPIError  # extra [store]: only a batch's workers read from it

    from extractor.store import StoredResult, StoreError, open_store  # extra [store]

    t0 = time.perf_counter()
    try:
        if task.data:  # small: the parent sent it with the task
            data = task.data
        else:
            if task.store_url not in _readers:
                _readers[task.store_url] = open_store(task.store_url, migrate=False).file_reader()
            data = _readers[task.store_url].read(task.document_id)
    except (DBAPIError, StoreError) as err:
        return Outcome(task.id, False, error=f"{type(err).__name__}: {err}", kind="store")
    got = _extracted(task, data, t0)
    if isinstance(got, Outcome):
        return got
    named = got.model_copy(update={"document": got.document.model_copy(update={"name": task.file_name})})
    return Outcome(task.id, True, prepared=StoredResult.of(named), seconds=time.perf_counter() - t0)


def hook_delay() -> float:
    """The per-file sleep tests ask for (0 in real use)."""
    return settings().test_item_delay


@dataclass
class WorkerPool(ProcessPool):
    """A pool whose workers extract files (:class:`~extractor.pool.Task` in, Result JSON out; a
    :class:`JobTask` in, saved in the store)."""

    fn: Callable[[Any], Outcome] | None = _extract_one


def extract_files(paths: Sequence[str | os.PathLike[str]], extractor: str = "rules",
                  meanwhile: Callable[[], object] | None = None) -> Iterator[Outcome]:
    """Each file extracted in a worker forked from this process, under the budgets, in order (``xxgk
    extract``: a hostile file costs one worker, never the command). Call from a single-threaded process.

    The worker is forked before the extractor is imported and imports it itself; ``meanwhile`` runs
    once in this process while the first file is read (the command's own imports, on the other core)."""
    with WorkerPool(1, fork=True) as pool:
        for i, path in enumerate(paths):
            pool.submit(Task(i, os.path.basename(path), extractor=extractor, path=os.fspath(path)))
            if i == 0 and meanwhile is not None:
                meanwhile()
            while not (got := pool.poll(0.5)):
                continue
            yield got[0][0]


def run_all(tasks: list[Task], size: int = 2, timeout: float | None = None,
            on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Every task through a pool, outcomes in completion order (a convenience for scripts)."""
    pending = list(tasks)
    out: list[Outcome] = []
    with WorkerPool(size, timeout) as pool:
        while pending or pool.busy:
            while pending and pool.idle:
                pool.submit(pending.pop(0))
            for outcome, _ in pool.poll():
                out.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
    return out


__all__ = ["TEST_DELAY_ENV", "JobTask", "WorkerPool", "extract_files", "hook_delay", "run_all"]
