"""Uploads (ui/jobs.py): the batch intake, a job of kind ``ui``, extraction in worker processes."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from extractor.settings import use as use_settings
from extractor.store import open_store
from tests.conftest import SEED_TXT
from ui import jobs

REVIEWER = "张三"


@pytest.fixture()
def store(ui_env: Path):
    s = open_store()
    yield s
    s.close()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_uploads_go_through_the_batch_intake_and_are_extracted_outside_this_process(store, monkeypatch) -> None:
    import extractor.api

    def not_here(*a, **k):
        raise AssertionError("extracted in the app's own process")

    monkeypatch.setattr(extractor.api, "extract", not_here)  # the worker processes have their own copy
    seed = SEED_TXT.read_bytes()
    inner = _zip({"二级/年报.txt": seed + b"\n"})
    upload = _zip({"报告/2017.txt": seed, "嵌套.zip": inner, "说明.docx": b"not a docx"})
    job = jobs.submit(store, [("上传.zip", upload), ("again.txt", seed), ("空.txt", b"")], who=REVIEWER)
    assert job.kind == "ui" and job.created_by == REVIEWER
    done = jobs.wait(store, job.id)
    assert done.status == "done"
    items = {it.file_name: (it.status, it.error or "") for it in store.job_items(job.id)}
    assert items["上传.zip!报告/2017.txt"][0] == "done"
    assert items["上传.zip!嵌套.zip!二级/年报.txt"][0] == "done"  # nested archives, as xxgk batch reads them
    assert items["again.txt"][0] == "skipped" and "重复文件" in items["again.txt"][1]
    assert items["空.txt"][0] == "failed" and "文件为空" in items["空.txt"][1]
    assert items["上传.zip!说明.docx"][0] == "failed"
    extracted = store.latest_extraction(store.find_document(hashlib.sha256(seed).hexdigest()).id)
    assert extracted.created_by.startswith("batch:") and len(extracted.result.findings) == 3


def test_a_file_over_the_limit_fails_with_the_setting_named(store, monkeypatch) -> None:
    monkeypatch.setenv("XXGK_UI_MAX_MB", "1")
    use_settings(None)  # the store fixture read the settings already: read them again, as a restarted server would
    job = jobs.submit(store, [("大.txt", b"x" * (1024 * 1024 + 1))], who=REVIEWER)
    (item,) = store.job_items(job.id)
    assert item.status == "failed" and "XXGK_UI_MAX_MB" in item.error
    assert store.get_job(job.id).status == "done"


def test_a_job_left_unfinished_by_a_stopped_server_is_taken_up_again(store) -> None:
    from extractor.batch import add_inputs, inputs_from_bytes

    items = add_inputs(store, None, inputs_from_bytes(SEED_TXT.read_bytes(), "2017.txt"), extractor="rules",
                       force=False, who=REVIEWER)
    job = store.create_job({"extractor": "rules"}, items, kind="ui", created_by=REVIEWER)  # never run
    jobs.start_worker(store)
    assert jobs.wait(store, job.id).counts.done == 1
    assert jobs.recent(store, REVIEWER)[0].id == job.id
