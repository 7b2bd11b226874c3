"""Batch extraction: many files in, one resumable job in the store, results saved as they come.

The job and its items live in the store, so that a run stopped by Ctrl-C, a crash or SIGKILL goes on
where it stopped when the same command runs again: items left ``running`` go back in the queue, a
file whose extraction this job already saved is not extracted twice, and files extracted by an
earlier run are skipped unless ``force``. The parent claims items (several per transaction) and hands
them to worker processes (``extractor.workers``), which read each file from the store and return its
Result ready to store; the parent saves their answers many per transaction, each with its item's end
(and reads the files itself only for workers that cannot reach the store).

Inputs: files, folders (recursively, report-like file types only) and zip archives (members read
in memory, named ``archive.zip!member.pdf``). The same bytes under several names are processed once.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import socket
import stat
import time
import zipfile
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from extractor._errors import InputError, NotARegularFileError, XxgkError
from extractor.api import refused_unread
from extractor.exports import ExportRow, Layout, LayoutGatherer, iter_rows
from extractor.ingest.budgets import check_regular, read_member, read_regular, zip_directory
from extractor.pool import QUEUED_BYTES, Outcome, Task
from extractor.settings import Limits
from extractor.settings import limits as current_limits
from extractor.workers import JobTask, WorkerPool, hook_delay

if TYPE_CHECKING:  # the store is the [store] extra; batch.py imports without it
    from extractor.store import Store

# file types a folder walk picks up; anything else in a folder is ignored (files named explicitly never are)
REPORT_SUFFIXES: frozenset[str] = frozenset({
    ".pdf", ".docx", ".doc", ".wps", ".ofd", ".html", ".htm", ".shtml", ".xhtml", ".txt", ".md", ".zip"})
RATIO_FLOOR = 16 * 1024 * 1024  # an archive may always unpack this much, whatever its ratio
# central directory bytes an archive (nested ones together) may list per file of its files budget: a real
# entry takes 100-500 bytes, folders and __MACOSX copies included; a directory of a million empty members
# (88 MB) cost zipfile 27 s and 1 GB before the first member was counted
DIRECTORY_BYTES_PER_FILE = 4096
# inputs asked about in one query to the store (add_inputs): at most this many files, or bytes held meanwhile
STORED_LOOKUP_FILES, STORED_LOOKUP_BYTES = 256, 64 * 1024 * 1024
HEARTBEAT_SECONDS = 10.0
DROPPED_WAIT = 60.0  # seconds a running batch waits for its database to come back (a PostgreSQL restart)
STALE_AFTER = timedelta(minutes=2)  # a running item not touched for this long belongs to a dead worker
MAX_ATTEMPTS = 2  # a file that crashes its worker this many times fails for good
REPORTS_READ = 64  # stored results read from the store at a time for the summary and the exports
SAVE_EVERY, SAVE_MAX = 0.25, 64  # the parent saves its workers' answers this often (seconds), or this many at once
PROGRESS_EVERY = 1.0  # seconds between counts of the job for the progress bar (a count reads every item: 1 ms at 4,000)
CLAIM_AHEAD = 0.5  # seconds of the workers' recent pace a job's runner claims ahead of them, in one transaction
MAX_CLAIM = 64  # items claimed ahead at most


class BatchError(XxgkError):
    """A batch cannot start (no inputs, a path that does not exist …)."""


@dataclass
class Input:
    """One file to process: its bytes, or why they could not be read."""

    name: str
    data: bytes | None = None
    error: str | None = None


# ------------------------------------------------------------------------------------------ inputs
def _member_name(info: zipfile.ZipInfo) -> str:
    """Zip member names from Chinese Windows tools are GBK without the UTF-8 flag: decode them right."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


@dataclass
class ArchiveBudget:
    """What one archive may unpack, nested archives included: bytes, files and depth, counted as read.

    The byte allowance is the smaller of ``archive_bytes`` and ``archive_ratio`` times the archive's
    packed size (past a first RATIO_FLOOR bytes), so a few KB cannot unpack to hundreds of MB.
    """

    limits: Limits
    bytes_left: int
    files_left: int
    field: str  # the budget the byte allowance comes from: archive_bytes or archive_ratio
    directory_left: int  # bytes of central directories still to list (DIRECTORY_BYTES_PER_FILE)

    @classmethod
    def of(cls, packed: int, limits: Limits | None = None) -> ArchiveBudget:
        lim = limits or current_limits()
        by_ratio = max(lim.archive_ratio * packed, RATIO_FLOOR)
        field = "archive_ratio" if by_ratio < lim.archive_bytes else "archive_bytes"
        return cls(lim, min(by_ratio, lim.archive_bytes), lim.archive_files, field,
                   lim.archive_files * DIRECTORY_BYTES_PER_FILE)


def _looks_like_zip(head: bytes, name: str) -> bool:
    """An archive to unpack: named .zip, or zip bytes that are not a Word document."""
    suffix = Path(name).suffix.lower()
    if suffix == ".zip":
        return True
    return head[:4] == b"PK\x03\x04" and suffix != ".docx" and b"word/" not in head[:65536]


class _ArchiveOverBudget(Exception):
    """Raised inside nested archives when the outermost one's budget is spent: one line, then it stops."""

    def __init__(self, field: str, actual: int | None = None) -> None:
        super().__init__(field)
        self.field, self.actual = field, actual


def iter_zip(source: bytes | BinaryIO, label: str, budget: ArchiveBudget | None = None,
             depth: int = 1) -> Iterator[Input]:
    """The members of a zip archive (nested archives too), in archive order; directories and junk skipped.

    Members are inflated in chunks and counted against one :class:`ArchiveBudget` for the outermost
    archive: the sizes an archive declares are never trusted. A member over the file budget fails
    alone; past the archive's bytes, files or nesting depth, one line names the budget and the rest
    of the archive is not read (the members before it go on). Each archive's central directory is
    weighed before zipfile lists it (DIRECTORY_BYTES_PER_FILE): one too long for the files budget is
    that one line at once.
    """
    if budget is not None:
        yield from _members(source, label, budget, depth)
        return
    fh = io.BytesIO(source) if isinstance(source, bytes) else source
    packed = fh.seek(0, io.SEEK_END)
    fh.seek(0)
    budget = ArchiveBudget.of(packed)
    try:
        yield from _members(fh, label, budget, depth)
    except _ArchiveOverBudget as over:
        yield Input(label, error=budget.limits.exceeded(over.field, over.actual, label).one_line())


def _members(source: bytes | BinaryIO, label: str, budget: ArchiveBudget, depth: int) -> Iterator[Input]:
    fh = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        budget.directory_left -= zip_directory(fh)[1]
        if budget.directory_left < 0:  # listing its members would cost more than the files it may hold
            raise _ArchiveOverBudget("archive_files")
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        yield Input(label, error=f"压缩包已损坏 / the zip archive is corrupt ({err})")
        return
    lim = budget.limits
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            inner = _member_name(info)
            base = inner.rsplit("/", 1)[-1]
            if not base or base.startswith(".") or inner.startswith("__MACOSX/"):
                continue
            name = f"{label}!{inner}"
            budget.files_left -= 1
            if budget.files_left < 0:
                raise _ArchiveOverBudget("archive_files")
            if budget.bytes_left <= 0:
                raise _ArchiveOverBudget(budget.field)
            cap = min(lim.file_bytes, budget.bytes_left)
            try:
                member = read_member(zf, info, cap)
            except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError, EOFError,
                    ValueError) as err:
                yield Input(name, error=f"无法解压 / cannot extract this member ({err})")
                continue
            budget.bytes_left -= cap + 1 if member is None else len(member)
            if member is None:
                if cap < lim.file_bytes:  # the archive's allowance ran out inside this member
                    raise _ArchiveOverBudget(budget.field)
                yield Input(name, error=lim.exceeded("file_bytes", None, name).one_line())
                continue
            if not _looks_like_zip(member[:65536], inner):
                yield Input(name, member)
            elif depth >= lim.archive_depth:
                raise _ArchiveOverBudget("archive_depth", depth + 1)
            else:
                yield from _members(member, name, budget, depth + 1)


def _open_nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)  # a FIFO must not wait for a writer


def _archive(head: bytes, size: int, label: str) -> bool:
    """The one decision every intake makes (files on disk, uploads to the API and the UI): is this an
    archive to unpack (then it must fit the archive budget) or one file (then the file budget)?"""
    lim = current_limits()
    if _looks_like_zip(head, label):
        lim.check("archive_bytes", size, label)
        return True
    lim.check("file_bytes", size, label)
    return False


def _read(path: Path, label: str) -> Iterator[Input]:
    """A file as inputs: an archive's members (the archive read from disk as needed), or the file itself,
    each within its budget; a device, FIFO or /proc file is one failed input."""
    try:
        check_regular(path, label)
        with open(path, "rb", opener=_open_nonblocking) as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise NotARegularFileError(label)
            if _archive(fh.read(65536), st.st_size, label):
                yield from iter_zip(fh, label)
                return
        data = read_regular(path, label)  # the file budget again, on what is read: the file may have grown
    except InputError as err:
        yield Input(label, error=err.one_line())
        return
    except OSError as err:
        yield Input(label, error=f"无法打开文件 / cannot open the file ({err.strerror})")
        return
    yield Input(label, data)


def inputs_from_bytes(data: bytes, label: str) -> Iterator[Input]:
    """One uploaded file's bytes as inputs, within the budgets a file read from disk gets: an archive
    (by name or by content) becomes its members. Uploads to the HTTP API and the review UI come in here."""
    try:
        if _archive(data[:65536], len(data), label):
            yield from iter_zip(data, label)
            return
    except InputError as err:
        yield Input(label, error=err.one_line())
        return
    yield Input(label, data)


def _walk(root: Path) -> Iterator[tuple[Path, str | None]]:
    """Every report-like file under ``root`` (sorted), links included, each with why it is refused (None:
    read it). A link is read only when it stays inside ``root``; links to folders are not followed."""
    real_root = os.path.realpath(root)
    found: list[tuple[Path, str | None]] = []
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        here = Path(dirpath)
        for entry in [*files, *(d for d in dirs if (here / d).is_symlink())]:
            sub = here / entry
            if entry.startswith(".") or (entry in files and sub.suffix.lower() not in REPORT_SUFFIXES):
                continue
            refused = None
            if sub.is_symlink():
                target = os.path.realpath(sub)
                if os.path.commonpath([real_root, target]) != real_root:
                    refused = NotARegularFileError(
                        "", zh="链接指向输入文件夹之外，不予读取", en="a link out of the input folder: not read").one_line()
                elif entry not in files:
                    continue  # a link to a folder inside: its files are walked there
            found.append((sub, refused))
    return iter(sorted(found))


def iter_inputs(paths: Sequence[str | os.PathLike[str]]) -> Iterator[Input]:
    """Every file under ``paths``, in a stable order (folders sorted by path).

    Only regular files are read: devices, FIFOs, /proc and links leading out of a folder each give
    one failed input with the reason, and the other files go on.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for sub, refused in _walk(path):
                label = str(Path(path.name or str(path)) / sub.relative_to(path))
                if refused:
                    yield Input(label, error=refused)
                else:
                    yield from _read(sub, label)
        elif path.exists() or path.is_symlink():
            yield from _read(path, path.name)
        else:
            raise BatchError(f"没有这个文件或文件夹 / no such file or folder: {raw}")


# ------------------------------------------------------------------------------------------ the job
def job_key(paths: Sequence[str | os.PathLike[str]], extractor: str, force: bool) -> str:
    """What makes two runs "the same command": the inputs (absolute), the extractor and --force."""
    spec = {"paths": sorted(str(Path(p).resolve()) for p in paths), "extractor": extractor, "force": force}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def _base_name(file_name: str) -> str:
    """The file's own name, without its folders and archives: what the worker and the store call it."""
    return file_name.rsplit("!", 1)[-1].rsplit("/", 1)[-1]


def _created_by(job_id: str) -> str:
    return f"batch:{job_id}"


def add_inputs(store: Store, job_id: str | None, inputs: Iterable[Input], *, extractor: str, force: bool,
               known: dict[str, str] | None = None, who: str = "") -> list[Any]:
    """Store each input's bytes (once per SHA-256) and describe it as a job item, in input order.

    An input whose bytes alone show it is no report (empty, a format not read, a few bytes of text:
    ``refused_unread``) fails here, neither stored nor sent to a worker, so that an archive of thousands
    of tiny members costs one insert of their items. ``known`` maps file name → sha256 of items the job
    already has (a resumed job): those are left out. Within the job the first copy of some bytes is
    queued and later copies are skipped as duplicates; bytes an earlier run already extracted with the
    same extractor are skipped unless ``force``. Which bytes are stored already is asked once per chunk
    of inputs (STORED_LOOKUP_*), so a rerun over files extracted before costs no round trip per file.
    """
    from extractor.store import NewJobItem  # extra [store]

    known = dict(known or {})
    first_by_sha: dict[str, str] = {sha: name for name, sha in reversed(list(known.items()))}
    items: list[NewJobItem | None] = []
    chunk: list[tuple[int, Input, str]] = []  # (slot in items, input, sha) waiting for the lookup

    def settle_chunk() -> None:
        stored = store.find_documents([sha for _, _, sha in chunk])
        latest = {} if force else store.latest_heads([d.id for d in stored.values()]) if stored else {}
        missing = [(inp.data or b"", _base_name(inp.name)) for _, inp, sha in chunk if sha not in stored]
        for doc in store.add_documents(missing, who=who) if missing else []:  # one transaction for the chunk
            stored.setdefault(doc.sha256, doc)
        for slot, inp, sha in chunk:
            doc = stored[sha]
            done = latest.get(doc.id)
            if done is not None and done.extractor == extractor:
                items[slot] = NewJobItem(file_name=inp.name, document_sha=sha, document_id=doc.id, status="skipped",
                                         extraction_id=done.id,
                                         error="已提取过（--force 重新提取）/ already extracted (--force to redo)")
            else:
                items[slot] = NewJobItem(file_name=inp.name, document_sha=sha, document_id=doc.id)
        chunk.clear()

    for inp in inputs:
        if inp.name in known:
            continue
        if inp.error is not None:
            items.append(NewJobItem(file_name=inp.name, status="failed", error=inp.error))
            continue
        assert inp.data is not None
        if (refused := refused_unread(inp.data, _base_name(inp.name))) is not None:
            items.append(NewJobItem(file_name=inp.name, status="failed", error=refused.one_line()))
            continue
        sha = hashlib.sha256(inp.data).hexdigest()
        if sha in first_by_sha:
            items.append(NewJobItem(file_name=inp.name, document_sha=sha, status="skipped",
                                    error=f"重复文件 / duplicate of {first_by_sha[sha]}"))
            continue
        first_by_sha[sha] = inp.name
        chunk.append((len(items), inp, sha))
        items.append(None)
        if len(chunk) >= STORED_LOOKUP_FILES or sum(len(i.data or b"") for _, i, _ in chunk) >= STORED_LOOKUP_BYTES:
            settle_chunk()
    if chunk:
        settle_chunk()
    return [it for it in items if it is not None]


def start_job(store: Store, paths: Sequence[str | os.PathLike[str]], *, extractor: str = "rules", force: bool = False,
              who: str = "") -> tuple[Any, bool]:
    """The job for this command: the unfinished one with the same key (resumed), else a new one.

    Returns (job, resumed). A resumed job gets items for files added to the folders since.
    """
    key = job_key(paths, extractor, force)
    for job in store.unfinished_jobs():
        if job.kind == "batch" and job.options.get("key") == key:
            known = {it.file_name: it.document_sha or "" for it in store.job_items(job.id)}
            new = add_inputs(store, job.id, iter_inputs(paths), extractor=extractor, force=force, known=known, who=who)
            if new:
                store.add_job_items(job.id, new)
            requeue_dead(store, job.id)  # items of a killed run go back; a live run's stay with it
            return store.get_job(job.id), True
    options = {"key": key, "paths": [str(p) for p in paths], "extractor": extractor, "force": force}
    items = add_inputs(store, None, iter_inputs(paths), extractor=extractor, force=force, who=who)
    if not items:
        raise BatchError("没有找到可处理的文件 / no report files found in the given paths")
    return store.create_job(options, items, kind="batch", created_by=who), False


# ------------------------------------------------------------------------------------------ running
@dataclass
class Progress:
    """Counts the runner reports after every file (for a progress bar or an API)."""

    total: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    last: str = ""

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.skipped


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(worker: str) -> bool | None:
    """Whether the process named ``worker`` (``host:pid``) still runs; None when it is on another host."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_dead(store: Store, job_id: str | None = None, stale_after: timedelta | None = STALE_AFTER) -> int:
    """Items whose worker is dead go back in the queue: at once for a process of this host that is gone,
    after ``stale_after`` without a heartbeat for any other. Returns how many."""
    dead = {w for w in store.running_workers(job_id) if _alive(w) is False}
    n = store.requeue_running(job_id, workers=dead) if dead else 0
    if stale_after is not None:
        n += store.requeue_running(job_id, older_than=stale_after)
    return n


@dataclass
class JobRunner:
    """Claims a job's items from the store, extracts them in worker processes, saves what comes back.

    With ``job_id`` it works one job to the end; with ``job_id=None`` and ``kinds`` it serves every
    unfinished job of those kinds (the API server's background worker) until :meth:`stop`.
    """

    store: Store
    workers: int = 2
    timeout: float | None = None
    job_id: str | None = None
    kinds: tuple[str, ...] = ("batch",)
    on_progress: Callable[[Progress], None] | None = None
    name: str = field(default_factory=worker_name)
    stale_after: timedelta | None = STALE_AFTER  # serving only: when a silent running item is requeued
    idle_exit: float | None = None  # serving only: stop after this many seconds with nothing to claim
    claim_ahead: float = CLAIM_AHEAD  # seconds of work claimed beyond the idle workers' files, in the same transaction
    _stop: bool = False
    _url: str | None = None  # the store's URL for the workers to read files; None: the parent reads for them
    _answers: list[tuple[Any, Any]] = field(default_factory=list)  # (item, StoredResult) not saved yet
    _answers_since: float = 0.0
    _claimed: deque[Any] = field(default_factory=deque)  # claimed for this run, not yet handed to a worker
    _latest: dict[int, Any] = field(default_factory=dict)  # item id → its document's latest extraction at the claim
    _small: dict[int, bytes] = field(default_factory=dict)  # document id → its bytes, read with the claim (small files)
    _finished: deque[float] = field(default_factory=lambda: deque(maxlen=64))  # when the last files came back
    _last_beat: float = 0.0
    _last_requeue: float = 0.0
    _last_progress: float = 0.0
    _jobs: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        self._stop = True

    def _claim(self, n: int) -> list[Any]:
        """Up to ``n`` items, in one transaction for a job's runner."""
        if self.job_id is not None:
            return self.store.claim_next_items(self.job_id, n, worker=self.name)
        for job in self.store.unfinished_jobs():
            if job.kind in self.kinds:
                items = self.store.claim_next_items(job.id, n, worker=self.name)
                if items:
                    return items
        return []

    def _next_item(self, idle: int) -> Any | None:
        """The next claimed item: from those claimed ahead, else ``idle`` plus :meth:`_ahead` more in one claim
        (one transaction for many files; they are this run's, heartbeat included)."""
        if not self._claimed:
            items = self._claim(idle + self._ahead())
            if items:
                self._checked(items)
            self._claimed.extend(items)
        return self._claimed.popleft() if self._claimed else None

    def _ahead(self) -> int:
        """How many files to claim beyond the idle workers: as many as the workers finish in ``claim_ahead``
        seconds at the rate files came back lately (at least one per worker), so that a claim is one
        transaction for many small files, while slow files (OCR) and other hosts' runners are not starved
        of items this run merely holds. Serving many jobs claims only for idle workers."""
        if self.job_id is None:
            return 0
        done = self._finished
        rate = (len(done) - 1) / (done[-1] - done[0]) if len(done) > 1 and done[-1] > done[0] else 0.0
        return max(self.workers, min(MAX_CLAIM, math.ceil(rate * self.claim_ahead)))

    def _checked(self, items: list[Any]) -> None:
        """The latest extraction of the claimed items' documents, asked once for all of them (see _prepare)."""
        docs = [it.document_id for it in items if it.document_id is not None]
        latest = self.store.latest_heads(docs) if docs else {}
        for it in items:
            self._latest[it.id] = latest.get(it.document_id)
        if docs and self._url is not None:  # a worker would wait on the database for each: read here in one query
            self._small.update(self.store.small_files(docs, QUEUED_BYTES))

    def _job(self, job_id: str) -> Any:
        if job_id not in self._jobs:
            self._jobs[job_id] = self.store.get_job(job_id)
        return self._jobs[job_id]

    def _options(self, job_id: str) -> dict[str, Any]:
        return dict(self._job(job_id).options)

    def _prepare(self, item: Any) -> Task | None:
        """A task for the item, or None when it is settled here (done by an earlier run of this job, bad)."""
        store = self.store
        latest = self._latest.pop(item.id, None)  # another job (another run) may have extracted it since
        small = self._small.pop(item.document_id, b"") if item.document_id is not None else b""
        if item.document_id is None:
            store.fail_item(item.id, item.error or "文件未保存 / the file was not stored", worker=self.name)
            return None
        options = self._options(item.job_id)
        extractor = str(options.get("extractor") or "rules")
        if item.attempts > 1 and (mine := self._saved_by_job(item)) is not None:  # claimed before: saved already
            store.finish_item(item.id, extraction_id=mine, worker=self.name)  # (a crash before finish): never twice
            return None
        if latest is not None and latest.extractor == extractor and latest.created_by != _created_by(item.job_id):
            meanwhile = latest.created_at >= self._job(item.job_id).created_at
            if meanwhile or not options.get("force"):
                store.finish_item(item.id, extraction_id=latest.id, skipped=True, worker=self.name, note=(
                    "另一个任务刚提取过 / just extracted by another run" if meanwhile
                    else "已提取过（--force 重新提取）/ already extracted (--force to redo)"))
                return None
        if self._url is not None:
            return JobTask(item.id, _base_name(item.file_name), small, extractor, hook_delay(),
                           document_id=item.document_id, store_url=self._url, file_name=item.file_name)
        data = small or store.document_bytes(item.document_id)
        return Task(item.id, _base_name(item.file_name), data, extractor, hook_delay())

    def _saved_by_job(self, item: Any) -> int | None:
        """The extraction this item's job saved for its document, if any (a job extracts a document once)."""
        mine = [e.id for e in self.store.extractions(item.document_id) if e.created_by == _created_by(item.job_id)]
        return mine[-1] if mine else None

    def _settle(self, outcome: Outcome, item: Any) -> None:
        """Save what came back for the item: a result the worker prepared waits for the next :meth:`_save`
        (many in one transaction); anything else is settled now. A dropped database connection is waited
        out and the item settled again. The result and the item's end are one transaction, so a save whose
        answer the drop lost is found done, never saved twice."""
        if outcome.prepared is not None:
            if not self._answers:
                self._answers_since = time.monotonic()
            self._answers.append((item, outcome.prepared))
            return
        self._db(self._settle_once, outcome, item)

    def _save(self, force: bool = False) -> None:
        """The answers waiting, saved in one transaction once SAVE_EVERY seconds or SAVE_MAX answers have
        gathered (``force``: now); one that cannot be stored fails its item alone."""
        if not self._answers or not force and (len(self._answers) < SAVE_MAX
                                               and time.monotonic() - self._answers_since < SAVE_EVERY):
            return
        self._db(self._save_once)

    def _save_once(self) -> None:
        from extractor.store import JobAnswer, StoreError  # extra [store]

        jobs = {item.job_id for item, _ in self._answers}
        saved = self.store.save_job_results(self.name, [
            JobAnswer(item.id, prepared, _created_by(item.job_id)) for item, prepared in self._answers])
        self._answers.clear()
        for answer in saved:
            if answer.error is not None:
                try:
                    self.store.fail_item(answer.item_id, f"无法保存结果 / cannot save the result ({answer.error})",
                                         worker=self.name)
                except StoreError:
                    pass  # requeued and claimed by another worker meanwhile: its answer counts
        if self.job_id is None:
            for job_id in jobs:
                self.store.finish_job_if_complete(job_id)

    def _settle_once(self, outcome: Outcome, item: Any) -> None:
        from extractor.store import NotFoundError, StoreError  # extra [store]

        store = self.store
        try:
            if outcome.kind == "store":  # the workers cannot read the store: the parent reads for them from now on
                self._url = None
                store.fail_item(item.id, outcome.error, worker=self.name, retry=True)
                return
            if not outcome.ok:  # settling checks the item is still this run's (else StoreError)
                store.fail_item(item.id, outcome.error, worker=self.name,
                                retry=outcome.kind == "crash" and item.attempts < MAX_ATTEMPTS)
                return
            try:  # None: requeued and claimed by another worker meanwhile (its answer counts), or saved already
                store.save_job_result(item.id, self.name, outcome.result_json, name=item.file_name,
                                      created_by=_created_by(item.job_id))
            except NotFoundError:
                return
            except (StoreError, ValueError) as err:  # an answer that cannot be stored (not JSON, other bytes)
                store.fail_item(item.id, f"无法保存结果 / cannot save the result ({err})", worker=self.name)
        except StoreError:
            pass  # requeued and claimed by another worker meanwhile: its answer counts

    def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)``, waiting out a database that is locked or dropped its connection (a PostgreSQL
        restart) for up to DROPPED_WAIT seconds; then one line (StoreUnavailableError)."""
        from sqlalchemy.exc import DBAPIError  # extra [store]

        from extractor.store import StoreUnavailableError  # extra [store]
        from extractor.store.engine import one_line, retrying  # extra [store]

        try:
            return retrying(lambda: fn(*args), unreachable=DROPPED_WAIT, what="batch")
        except DBAPIError as err:
            raise StoreUnavailableError(f"数据库不可用 / the database is unavailable: {one_line(err)}") from None

    def _beat(self, pool: WorkerPool) -> None:
        now = time.monotonic()
        every = HEARTBEAT_SECONDS if self.stale_after is None else min(HEARTBEAT_SECONDS,
                                                                      self.stale_after.total_seconds() / 3)
        if now - self._last_beat < every:
            return
        self._last_beat = now
        self.store.touch_items([meta.id for _task, meta in pool.busy] + [item.id for item in self._claimed])

    def _progress(self, force: bool = False) -> Progress | None:
        if self.job_id is None:
            return None
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_EVERY:
            return None
        self._last_progress = now
        c = self.store.job_counts(self.job_id)
        return Progress(total=c.total, done=c.done, failed=c.failed, skipped=c.skipped)

    def run(self, idle_wait: float = 0.5) -> None:
        """Process until the job is finished (or, serving, until :meth:`stop`)."""
        self._url = self.store.shared_url
        with WorkerPool(self.workers, self.timeout, depth=2) as pool:  # a worker's next file waits in its pipe
            try:
                self._loop(pool, idle_wait)
            finally:  # interrupted: save what came back, hand the files in flight and those claimed ahead back
                try:
                    self._save(force=True)
                except Exception:  # noqa: BLE001, S110 - the database is gone: those files are handed back below
                    pass
                back = [item for item, _ in self._answers] + [meta for _task, meta in pool.busy] + list(self._claimed)
                self._answers.clear()
                for item in back:
                    try:
                        self.store.fail_item(item.id, "中断 / interrupted", retry=True, worker=self.name)
                    except Exception:  # noqa: BLE001, S110 - the next start requeues it anyway
                        pass
                self._claimed.clear()

    def _fill(self, pool: WorkerPool) -> bool:
        """Give every idle worker a file; False when the queue is empty."""
        while (pool.idle if self._url is not None else pool.free) and not self._stop:  # bytes never wait in a pipe
            item = self._next_item(pool.idle)
            if item is None:
                return False
            task = self._prepare(item)
            if task is not None:
                pool.submit(task, item)
                continue
            if self.job_id is None:
                self.store.finish_job_if_complete(item.job_id)
            self._report()
        return True

    def _report(self, last: str = "", force: bool = False) -> None:
        if self.on_progress and (p := self._progress(force)):
            p.last = last
            self.on_progress(p)

    def _loop(self, pool: WorkerPool, idle_wait: float) -> None:
        self._db(self._report, "", True)
        idle_since: float | None = None
        while not self._stop:
            more = self._db(self._fill, pool)
            if not more and not pool.busy:
                self._save(force=True)
                if self.job_id is not None and self._db(self._job_settled):
                    self._db(self.store.finish_job_if_complete, self.job_id)
                    self._db(self._report, "", True)
                    return
                idle_since = idle_since or time.monotonic()
                if self.idle_exit is not None and time.monotonic() - idle_since >= self.idle_exit:
                    return
                self._db(self._requeue_stale)  # a batch waits here for documents another run is extracting
                time.sleep(idle_wait)
                continue
            idle_since = None
            outcomes = pool.poll(idle_wait)
            if outcomes and more:
                self._db(self._fill, pool)  # workers first: the parent saves while they extract the next files
            for outcome, item in outcomes:
                self._finished.append(time.monotonic())
                self._settle(outcome, item)
                if self.job_id is None and outcome.prepared is None:
                    self._db(self.store.finish_job_if_complete, item.job_id)
                self._db(self._report, item.file_name)
            self._save(force=self.job_id is None)  # serving: each job's end is seen at once
            self._db(self._beat, pool)
            self._db(self._requeue_stale)

    def _job_settled(self) -> bool:
        """Nothing of the job left to do here. Items this process claimed but never handed to a worker (a
        database error in between) go back in the queue; items another run holds are waited for."""
        assert self.job_id is not None, "only a run of one job settles it"
        counts = self.store.job_counts(self.job_id)
        if counts.running:
            self.store.requeue_running(self.job_id, workers={self.name})
        return not counts.queued and not counts.running

    def _requeue_stale(self) -> None:
        """Items whose worker died (another run or server process) go back in the queue, every few seconds."""
        now = time.monotonic()
        every = 5.0 if self.stale_after is None else min(60.0, self.stale_after.total_seconds())
        if now - self._last_requeue < (5.0 if self.job_id is not None else every):
            return
        self._last_requeue = now
        requeue_dead(self.store, None, self.stale_after)


# ------------------------------------------------------------------------------------------ summary
@dataclass
class Summary:
    """The numbers printed at the end of a batch and returned by the API."""

    job_id: str
    status: str
    files: int
    done: int
    failed: int
    duplicates: int
    skipped: int  # extracted by an earlier run
    queued: int
    running: int
    reports: int  # reports in the exports
    findings_by_rule: dict[str, int]
    failures: list[tuple[str, str]]  # (file, reason)
    ocr_pages: int = 0  # pages and pictures read by OCR
    ocr_doubtful: int = 0  # OCR'd cells held back for a person (extract.ocr_doubtful)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["failures"] = [{"file": f, "reason": r} for f, r in self.failures]
        return d

    @property
    def exit_code(self) -> int:
        """0: every readable file was processed (findings do not matter); 1: some file failed."""
        return 1 if self.failed else 0


def failure_lines(failures: Sequence[tuple[str, str]], at_least: int = 4) -> list[tuple[str, str]]:
    """The failures as a person reads them: ``at_least`` or more members of one archive failing for one
    reason become one line saying how many, and the first and last; the others stay as they are (every
    failure keeps its own row in failed.csv)."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, reason in failures:
        archive, bang, _member = name.rpartition("!")
        key = (archive, reason.split(" (", 1)[0]) if bang else (name, reason)
        groups.setdefault(key, []).append((name, reason))
    lines: list[tuple[str, str]] = []
    for (where, head), got in groups.items():
        if len(got) < at_least or where == got[0][0]:
            lines.extend(got)
            continue
        first, last = (n.rpartition("!")[2] for n in (got[0][0], got[-1][0]))
        lines.append((where, f"{len(got):,} 个文件 / members: {head} ({first} … {last}; see failed.csv)"))
    return lines


def is_duplicate(item: Any) -> bool:
    return item.status == "skipped" and (item.error or "").startswith("重复文件")


def _job_documents(store: Store, job_id: str) -> list[tuple[str, int]]:
    """(file name, document id) of every report of the job, in input order, once per document."""
    order: list[tuple[str, int]] = []
    seen: set[int] = set()
    for it in store.job_items(job_id):
        if it.document_id is not None and it.document_id not in seen and it.status in ("done", "skipped"):
            if is_duplicate(it):
                continue
            seen.add(it.document_id)
            order.append((it.file_name, it.document_id))
    return order


def job_reports(store: Store, job_id: str, *, text: bool = True) -> Iterator[tuple[str, Any]]:
    """(file name, latest extraction's stored columns) of every report of the job, in input order, once per
    document, read REPORTS_READ at a time: a job of any size is never in memory at once (``text``: with each
    result's JSON text, for results.jsonl)."""
    order = _job_documents(store, job_id)
    for i in range(0, len(order), REPORTS_READ):
        part = order[i:i + REPORTS_READ]
        latest = store.latest_columns([d for _, d in part], text=text)
        yield from ((name, latest[d]) for name, d in part if d in latest)


def job_layout(store: Store, job_id: str, *, labels: bool = False) -> Layout:
    """The exports' layout of the job's reports, from their stored templates and values alone (no result read),
    REPORTS_READ at a time: the exports then write every row as it is read."""
    gathered = LayoutGatherer()
    order = _job_documents(store, job_id)
    for i in range(0, len(order), REPORTS_READ):
        for template, values in store.latest_values([d for _, d in order[i:i + REPORTS_READ]]).values():
            gathered.add(template, values)
    return gathered.layout(labels=labels)


@dataclass
class Tally:
    """What the summary and the cross-report checks need of the exported rows, counted as they pass (the rows
    themselves are not kept)."""

    reports: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    ocr_pages: int = 0
    document_ids: set[int] = field(default_factory=set)

    def add(self, row: ExportRow) -> None:
        self.reports += 1
        self.rules.update(str(f.get("rule")) for f in row.findings)
        self.ocr_pages += row.ocr_pages
        if row.document_id is not None:
            self.document_ids.add(row.document_id)


def job_failures(items: Iterable[Any]) -> list[tuple[str, str]]:
    """(file, reason) of each failed item of a job (failed.csv)."""
    return [(it.file_name, it.error or "") for it in items if it.status == "failed"]


def summarize(store: Store, job_id: str, tally: Tally | None = None) -> Summary:
    """The job's numbers; ``tally``: its exported rows counted (counted here, reading them, when not given)."""
    if tally is None:
        tally = Tally()
        for row in iter_rows(job_reports(store, job_id, text=False), [], keep_text=False):
            tally.add(row)
    job = store.get_job(job_id)
    items = store.job_items(job_id)
    dup = sum(1 for it in items if is_duplicate(it))
    c = job.counts
    rules = tally.rules
    return Summary(job_id=job_id, status=job.status, files=c.total, done=c.done, failed=c.failed, duplicates=dup,
                   skipped=c.skipped - dup, queued=c.queued, running=c.running, reports=tally.reports,
                   findings_by_rule=dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))),
                   failures=job_failures(items),
                   ocr_pages=tally.ocr_pages, ocr_doubtful=rules.get("extract.ocr_doubtful", 0))


__all__ = [
    "BatchError",
    "Input",
    "JobRunner",
    "Progress",
    "Summary",
    "Tally",
    "add_inputs",
    "failure_lines",
    "inputs_from_bytes",
    "iter_inputs",
    "iter_zip",
    "job_failures",
    "job_key",
    "job_layout",
    "job_reports",
    "requeue_dead",
    "start_job",
    "summarize",
    "worker_name",
]
