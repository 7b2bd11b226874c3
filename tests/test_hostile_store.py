"""The store under hostile conditions: many processes opening it at once, two batches on one database, a
corrupt or unreachable database, files written owner-only."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import requirements

requirements.package("sqlalchemy", "store", module_level=True)

from extractor.store import StoreUnavailableError, current_revision, head_revision, open_store
from tests.conftest import ROOT, SEED_TXT
from tests.test_batch import GOOD


def _open_and_write(url: str, n: int, barrier: mp.Barrier, out: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        barrier.wait(30)
        store = open_store(url)
        store.add_document(f"process {n}".encode(), f"{n}.txt")
        out.put(current_revision(store.engine))
        store.close()
    except BaseException as err:  # noqa: BLE001 - reported by the parent
        out.put(f"{type(err).__name__}: {err}")


def test_eight_processes_open_a_new_store_at_once(db_url: str) -> None:
    """What ``xxgk batch``, ``xxgk serve`` and the UI do together; run 20 times under load before landing
    (``stress``-like load: ``yes > /dev/null`` × 4 on 2 cores), once here."""
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(8), ctx.Queue()
    procs = [ctx.Process(target=_open_and_write, args=(db_url, n, barrier, out)) for n in range(8)]
    for p in procs:
        p.start()
    answers = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert answers == [head_revision()] * 8  # was "OperationalError: database is locked" under load
    with open_store(db_url) as store:
        assert len(store.list_documents()) == 8


def test_the_sqlite_file_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data" / "xxgk.sqlite")
    store.add_document(b"x", "x.txt")
    store.close()
    for name in ("xxgk.sqlite", "xxgk.sqlite-wal", "xxgk.sqlite-shm", "xxgk.sqlite.lock"):
        path = tmp_path / "data" / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_a_corrupt_or_unreachable_database_is_one_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database " * 200)
    with pytest.raises(StoreUnavailableError, match="file is not a database"):
        open_store(corrupt)
    with pytest.raises(StoreUnavailableError, match=r"postgresql\+psycopg://xxgk:\*\*\*@127.0.0.1:9/") as err:
        open_store("postgresql://xxgk:s3cret@127.0.0.1:9/xxgk")
    assert "s3cret" not in str(err.value)
    env = {**os.environ, "XXGK_API_KEY": "k"}
    for args in (["batch", str(SEED_TXT), "--db", str(corrupt), "--out", str(tmp_path / "o")],
                 ["serve", "--db", str(corrupt), "--port", "1"],
                 ["years", "--store", "--db", str(corrupt)]):
        p = subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                           cwd=ROOT, env=env, timeout=120, check=False)
        assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr[-2000:]
        assert [ln for ln in p.stderr.splitlines() if ln.strip()] == [
            f"Error: 无法打开数据库 / cannot open the database sqlite:///{corrupt}: file is not a database"]


def _batch(*args: str, delay: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "extractor.cli", "batch", *args], cwd=ROOT,
                            env={**os.environ, "XXGK_TEST_ITEM_DELAY": delay}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_batches_on_one_database_never_extract_a_document_twice(db_url: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    files = GOOD
    for f in files:
        shutil.copy(f, src / f.name)
    # the same command twice (the second would resume the first's job and requeue its running files) and a
    # third naming the same files another way (its own job over the same documents), all at once
    runs = [_batch(str(src), "--db", db_url, "--out", str(tmp_path / f"o{i}"), "--workers", "2", delay="0.5")
            for i in range(2)]
    runs.append(_batch(*(str(src / f.name) for f in files), "--db", db_url, "--out", str(tmp_path / "o2"),
                       "--workers", "2", delay="0.5"))
    for r in runs:
        _out, err = r.communicate(timeout=300)
        assert r.returncode == 0 and "Traceback" not in err, err[-2000:]
    with open_store(db_url) as store:
        docs = store.list_documents()
        assert len(docs) == len(files)
        assert [len(store.extractions(d.id)) for d in docs] == [1] * len(files)  # was 2 or 3 each


def _done(url: str, job_dir: str) -> int:
    """Items settled so far by the batch over ``job_dir``, read beside it (not through the proxy)."""
    with open_store(url) as store:
        jobs = [j for j in store.list_jobs() if job_dir in j.options.get("paths", [""])[0]]
        return jobs[0].counts.finished if jobs else 0


@pytest.mark.slow
@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_batch_whose_postgresql_connections_are_cut_finishes_extracting_each_document_once(
        db_url: str, tmp_path: Path) -> None:
    """The server going away under a running batch (a restart, a network drop), played by a loopback proxy
    between the batch and the shared PostgreSQL whose connections are reset three times mid-batch: the
    batch waits it out and retries the item (it used to end with a traceback; rerunning recovered)."""
    from sqlalchemy.engine import make_url

    from tests.loopback import TcpProxy

    src = tmp_path / "in"
    src.mkdir()
    for f in GOOD:
        shutil.copy(f, src / f.name)
    url = make_url(db_url)
    open_store(db_url).close()  # migrated beside the proxy: the cuts land in the batch's own work
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        run = _batch(str(src), "--db", proxied, "--out", str(tmp_path / "out"), "--workers", "2", delay="0.7")
        try:
            for settled in (1, 3, 5):  # cut while files are in the workers and the parent saves results
                deadline = time.monotonic() + 180
                while _done(db_url, str(src)) < settled and run.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert run.poll() is None, "the batch ended before the cut"
                assert proxy.cut() >= 1  # the batch's connections, open when cut
            _out, err = run.communicate(timeout=300)
        finally:
            if run.poll() is None:
                run.kill()
    assert run.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert proxy.accepted > proxy.cut_connections >= 3  # it connected again after each cut
    with open_store(db_url) as store:
        docs = store.list_documents()
        assert sorted(d.name for d in docs) == sorted(f.name for f in GOOD)
        assert [len(store.extractions(d.id)) for d in docs] == [1] * len(GOOD)  # each extracted exactly once
        job = store.list_jobs()[0]
        assert (job.status, job.counts.done, job.counts.failed) == ("done", len(GOOD), 0)


def test_a_lock_file_beside_sqlite_serializes_migrations_without_failing(tmp_path: Path) -> None:
    url = tmp_path / "db.sqlite"
    import fcntl

    open_store(url).close()
    with sqlite3.connect(url) as conn:
        conn.execute("DROP INDEX uq_job_items_running_document")  # a store one migration behind
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    fd = os.open(f"{url}.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process migrating

    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(1), ctx.Queue()
    p = ctx.Process(target=_open_and_write, args=(str(url), 0, barrier, out))
    p.start()
    p.join(2)
    assert p.is_alive()  # it waits for the lock instead of failing
    os.close(fd)
    assert out.get(timeout=60) == head_revision()
    p.join(30)
