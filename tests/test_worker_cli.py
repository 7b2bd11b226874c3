"""``xxgk worker``: a second host's workers on a batch's database, sharing nothing else with the batch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import requirements

requirements.package("sqlalchemy", "store", module_level=True)

from extractor.store import open_store
from tests.conftest import ROOT
from tests.test_batch import GOOD


def _xxgk(*args: str, cwd: Path) -> subprocess.Popen:
    """A command in its own folder and environment: only the database URL is shared."""
    env = {**os.environ, "XXGK_TEST_ITEM_DELAY": "0.6", "PYTHONPATH": str(ROOT)}
    env.pop("XXGK_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "extractor.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_job(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        with open_store(url) as store:
            if store.list_jobs():
                return
        time.sleep(0.2)
    raise AssertionError("the batch never created its job")


@pytest.mark.slow
def test_a_worker_on_another_host_shares_the_batch_and_each_document_is_extracted_once(
        db_url: str, tmp_path: Path) -> None:
    here, there = tmp_path / "batch-host", tmp_path / "worker-host"
    (here / "in").mkdir(parents=True)
    there.mkdir()
    for f in GOOD:
        shutil.copy(f, here / "in" / f.name)
    batch = _xxgk("batch", "in", "--db", db_url, "--out", "out", "--workers", "1", cwd=here)
    _wait_for_job(db_url, time.monotonic() + 180)
    worker = _xxgk("worker", "--db", db_url, "--workers", "1", "--idle-exit", "3", cwd=there)
    _out, err = batch.communicate(timeout=300)
    assert batch.returncode == 0 and "Traceback" not in err, err[-2000:]
    _out, werr = worker.communicate(timeout=120)
    assert worker.returncode == 0 and "Traceback" not in werr, werr[-2000:]
    with open_store(db_url) as store:
        docs = store.list_documents()
        assert len(docs) == len(GOOD)
        assert [len(store.extractions(d.id)) for d in docs] == [1] * len(GOOD)  # never twice
        (job,) = store.list_jobs()
        items = store.job_items(job.id)
    assert {i.status for i in items} == {"done"}
    assert {i.worker.rsplit(":", 1)[1] for i in items} == {str(batch.pid), str(worker.pid)}  # both took files
    assert len((here / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()) == len(GOOD)
