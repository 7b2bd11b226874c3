"""A small pool of worker processes: one task at a time each, a hung or crashed task costs one worker.

Why not ``concurrent.futures``: a ProcessPoolExecutor cannot stop one task that hangs (a pathological
PDF) and, when one worker dies (pdfium crashes the process), it breaks every task in flight without
saying which file did it. Here each worker has its own pipe, so the parent knows which file each
worker holds: on a timeout the worker is killed and that one file fails; on a crash only that file
is reported and a fresh worker takes its place. With ``depth=2`` a worker's next small task already
waits in its pipe while it works (no wait for the parent between files); it is not started until the
current one ends, and goes to the fresh worker if that one crashes or hangs.

Workers start from a ``forkserver`` that has imported the extractor once (fast starts, no fork of a
parent that runs threads or holds database connections); a single-threaded parent with nothing open
(``xxgk extract``) may fork them directly. They ignore SIGINT so that Ctrl-C reaches only the parent,
which decides what to do, and exit when the parent's end of the pipe closes (the parent was killed).

Every task runs under the budgets its parent read (``extractor.settings``), enforced by the kernel and
not by the parsers: the worker's address space is capped (``RLIMIT_AS``, ``XXGK_MAX_MEMORY_MB``) and
each task gets ``XXGK_MAX_SECONDS`` of CPU (``RLIMIT_CPU``: the kernel kills a worker past it) as well
as of wall time (the parent kills it). A worker that ran out of memory leaves after answering, so
the next task starts in a fresh process.

The pool knows nothing of what its tasks do (it sits below ingest, whose OCR reads pages in it):
``extractor.workers`` runs extractions in it, ``extractor.ingest.image`` page OCR.
"""

from __future__ import annotations

import gc
import math
import multiprocessing as mp
import resource
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing import forkserver
from multiprocessing.connection import Connection, wait
from typing import Any, Self

from extractor.settings import LIMIT_SETTINGS, Limits, Settings, limits, settings
from extractor.settings import use as use_settings

PRELOAD = ["extractor.api", "extractor.reader", "extractor.ingest.pdf", "extractor.ingest.docx",
           "extractor.ingest.html", "extractor.ingest.text", "extractor.rules", "schemas.results",
           "extractor.store"]  # a batch's workers read their files from the store (left out where the extra is not installed)
QUEUED_BYTES = 16 * 1024  # a task this small may wait in a busy worker's pipe (depth 2)
STARTUP_LIMIT = 120.0  # seconds a fresh worker may take to start before its file counts as timed out
_STARTED = "started"
@dataclass(frozen=True)
class Task:
    """One file to extract: the bytes (or a path the worker reads) and the name they came with."""

    id: int
    name: str
    data: bytes = b""
    extractor: str = "rules"
    delay: float = 0.0  # test hook: seconds to sleep first (from $XXGK_TEST_ITEM_DELAY in the parent)
    path: str | None = None  # read in the worker, within its budgets (``xxgk extract``)
    settings: Settings | None = None  # the parent's (the pool fills it in)


@dataclass(frozen=True)
class Outcome:
    """What came back for a task: the Result as JSON, or the one-line reason it failed."""

    task_id: int
    ok: bool
    result_json: str = ""
    error: str = ""
    kind: str = ""  # failure kind: input (the file), crash, timeout, internal, store (see extractor.workers)
    seconds: float = 0.0
    prepared: Any = None  # the result made ready for its destination by the worker (a batch's: extractor.store)


def over_memory() -> str:
    return limits().exceeded("memory_bytes").one_line()


def _over_time(seconds: float, cpu: bool) -> str:
    what = ("CPU 时间", "of CPU time") if cpu else ("", "")
    return (f"处理超时（{seconds:g} 秒{what[0]}）/ timed out after {seconds:g} s {what[1]}".rstrip()
            + f" ({LIMIT_SETTINGS['seconds'].env}, --timeout)")


def start_forkserver() -> None:
    """Start the workers' forkserver now, so that its imports (PRELOAD, a second or so on one core) run while
    this process does other work — a batch stores its inputs meanwhile; pools made later fork from it."""
    if "forkserver" in mp.get_all_start_methods():
        mp.get_context("forkserver").set_forkserver_preload(PRELOAD)
        forkserver.ensure_running()


def _mapped_bytes() -> int:
    """The address space this process already maps (the interpreter, the libraries its parent loaded)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _apply_limits(budget: Limits) -> None:
    """This process's budget for the next file: its address space (the budget on top of what it maps
    already: a worker forked from a big parent starts with the parent's mappings), and CPU seconds from now."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker killed for its CPU leaves no core file
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = _mapped_bytes() + budget.memory_bytes
    memory = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = math.ceil(spent + budget.seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))


def _worker_main(conn: Connection, fn: Callable[[Any], Outcome]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the worker was started with (the extractor its forkserver imported) lives as long as the worker:
    # out of the collector's sight, a full collection walks a file's garbage only (a tenth of the time it
    # took per file) and never writes to the pages the worker shares with its forkserver.
    gc.freeze()
    started = False
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if not started:  # the parent's clock for the first file starts now, not while this process starts up
            try:  # (later files start the moment the one before is answered: the parent knows when)
                conn.send(_STARTED)
            except (BrokenPipeError, OSError):
                return
            started = True
        if getattr(task, "settings", None) is not None:
            use_settings(task.settings)
        _apply_limits(limits())
        outcome = fn(task)
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return
        if outcome.kind == "memory":
            return  # start the next file in a fresh process


@dataclass
class _Slot:
    process: Any
    conn: Connection
    queue: deque[tuple[Task, Any]] = field(default_factory=deque)  # (task, meta) sent, the first one in hand
    started: float = 0.0  # when the first task was sent, then when the worker said it started it
    running: bool = False  # the worker is on the first task (for a fresh worker: it said so)
    warm: bool = False  # the worker has started up (said so or answered): its tasks start when sent

    @property
    def task(self) -> Task | None:
        return self.queue[0][0] if self.queue else None

    @property
    def meta(self) -> Any:
        return self.queue[0][1] if self.queue else None


@dataclass
class ProcessPool:
    """``size`` worker processes running ``fn``; :meth:`submit` to an idle one, :meth:`poll` for outcomes."""

    size: int = 2
    timeout: float | None = None  # wall seconds per file; None = the settings' XXGK_MAX_SECONDS
    fn: Callable[[Any], Outcome] | None = None  # a module-level function (sent to the workers by name)
    fork: bool = False  # fork this process (single-threaded, nothing open) instead of using a forkserver
    depth: int = 1  # tasks a worker holds at once: 2 sends the next small task before the current one ends
    _slots: list[_Slot] = field(default_factory=list)
    _ctx: Any = None
    _settings: Settings | None = None

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a pool needs at least one worker")
        if self.fn is None:
            raise ValueError("a pool needs the function its workers run")
        self._settings = settings()
        if self.timeout is None:
            self.timeout = self._settings.limits.seconds
        methods = mp.get_all_start_methods()
        method = "fork" if self.fork and "fork" in methods else "forkserver" if "forkserver" in methods else "spawn"
        self._ctx = mp.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(PRELOAD)
        self._slots = [self._spawn() for _ in range(self.size)]

    def _spawn(self) -> _Slot:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.fn), daemon=True, name="xxgk-worker")
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def idle(self) -> int:
        """Tasks the pool takes now: a free worker each, and with ``depth`` 2 one more behind each busy one."""
        return sum(self.depth - len(s.queue) for s in self._slots)

    @property
    def free(self) -> int:
        """Workers holding no task (a task too big to wait behind another goes only to one of these)."""
        return sum(1 for s in self._slots if not s.queue)

    @property
    def busy(self) -> list[tuple[Task, Any]]:
        return [entry for s in self._slots for entry in s.queue]

    def submit(self, task: Task, meta: Any = None) -> None:
        """Hand a task to the least busy worker (call only when :attr:`idle` > 0), with this pool's settings.
        A task waits behind another only when it is small (its bytes would otherwise fill the pipe while the
        worker is busy: the parent and the worker would wait for each other)."""
        if isinstance(task, Task) and task.settings is None:
            task = replace(task, settings=self._settings)
        small = isinstance(task, Task) and len(task.data) <= QUEUED_BYTES
        open_slots = [s for s in self._slots if len(s.queue) < (self.depth if small else 1)]
        if not open_slots:
            raise ValueError("no worker can take this task now (a big task needs a free worker: see `free`)")
        self._send(min(open_slots, key=lambda s: len(s.queue)), task, meta)

    def _send(self, slot: _Slot, task: Task, meta: Any) -> None:
        if not slot.queue:
            slot.started, slot.running = time.monotonic(), slot.warm
        slot.queue.append((task, meta))
        try:
            slot.conn.send(task)
        except (BrokenPipeError, OSError):  # died while idle: replace it, and send what it held again
            self._replace(slot)

    def _replace(self, slot: _Slot) -> None:
        """A fresh worker in the slot's place, sent the tasks the slot still holds."""
        try:
            slot.conn.close()
        except OSError:
            pass
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(5)
        fresh = self._spawn()
        self._slots[self._slots.index(slot)] = fresh
        for task, meta in slot.queue:
            self._send(fresh, task, meta)

    def poll(self, wait_seconds: float = 0.5) -> list[tuple[Outcome, Any]]:
        """Outcomes ready within ``wait_seconds`` (crashes and timeouts included), each with its meta."""
        busy = [s for s in self._slots if s.queue]
        if not busy:
            time.sleep(min(wait_seconds, 0.05))
            return []
        waitables: list[Any] = [s.conn for s in busy] + [s.process.sentinel for s in busy]
        ready = set(wait(waitables, timeout=wait_seconds))
        out: list[tuple[Outcome, Any]] = []
        now = time.monotonic()
        for slot in busy:
            task, meta = slot.task, slot.meta
            assert task is not None
            outcome: Outcome | None = None
            broken = False
            if slot.conn in ready:
                try:
                    while slot.conn.poll():
                        got = slot.conn.recv()
                        if got == _STARTED:
                            slot.running, slot.warm, slot.started = True, True, now
                        else:
                            outcome = got
                            break
                except (EOFError, OSError):
                    broken = True
                if outcome is not None:
                    slot.queue.popleft()
                    slot.running = slot.warm = True  # the next task (if any) is the worker's now
                    slot.started = now
                    out.append((outcome, meta))
                    if outcome.kind == "memory":  # that worker leaves: a fresh one takes the next file
                        self._replace(slot)
                    continue
            limit = (self.timeout or 0.0) if slot.running else max(self.timeout or 0.0, STARTUP_LIMIT)
            if broken or slot.process.sentinel in ready or not slot.process.is_alive():
                slot.process.join(2)  # the pipe closes a moment before the process is reaped
                outcome = _ended(task, slot.process.exitcode, now - slot.started)
            elif self.timeout and now - slot.started > limit:
                outcome = Outcome(task.id, False, kind="timeout", seconds=now - slot.started,
                                  error=_over_time(self.timeout, False))
            if outcome is not None:
                slot.queue.popleft()
                self._replace(slot)
                out.append((outcome, meta))
        return out

    def close(self) -> None:
        """Stop every worker (a task in flight is abandoned)."""
        for slot in self._slots:
            try:
                if not slot.queue:
                    slot.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 2
        for slot in self._slots:
            if slot.queue:
                slot.process.kill()
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(1)
            try:
                slot.conn.close()
            except OSError:
                pass
        self._slots = []


def _ended(task: Task, code: int | None, seconds: float) -> Outcome:
    """The outcome of a worker that died on a file: killed for its CPU time, or crashed (a parser that
    hit the memory cap in C may abort rather than raise)."""
    if code == -signal.SIGXCPU:
        return Outcome(task.id, False, kind="timeout", seconds=seconds, error=_over_time(limits().seconds, True))
    memory = limits().exceeded("memory_bytes").detail
    return Outcome(task.id, False, kind="crash", seconds=seconds, error=(
        f"处理该文件时工作进程崩溃 / the worker process crashed on this file (exit code {code}; "
        f"memory budget {memory})"))




__all__ = ["PRELOAD", "Outcome", "ProcessPool", "Task", "over_memory", "start_forkserver"]
