"""``xxgk batch``: a mixed folder end to end, resuming after SIGKILL, duplicates, exports, the worker pool."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tests import requirements

requirements.package("sqlalchemy", "store", module_level=True)

from extractor import extract
from extractor._errors import InputError
from extractor.batch import inputs_from_bytes, iter_inputs, job_key, job_layout, job_reports, summarize
from extractor.exports import ExportRow, Layout, columns, export_rows, headers, values_csv
from extractor.store import open_store
from schemas import catalog
from tests import hostile_files as H
from tests.conftest import FIXTURES, ROOT, SEED_TXT

GEN = FIXTURES / "generated"
GOOD = [SEED_TXT, FIXTURES / "text" / "2022-2021format.md", GEN / "gen2019-s11-html.html",
        GEN / "gen2019-s12-docx.docx", GEN / "gen2019-s14-layout.txt", GEN / "gen2021-s22-docx.docx",
        GEN / "gen2021-s23-t4.group_total-md.md", GEN / "gen2021-s26-blank-cells.txt"]
NOT_A_REPORT = "今天天气很好。这是一篇游记，写的是春天去西湖看花，没有任何统计数字。\n".encode()


def run_batch(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extractor.cli", "batch", *args], capture_output=True, text=True, check=False,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Good reports in several formats, two duplicates (a copy and a zip member), an empty file, a corrupt PDF,
    a non-report, and a file type a folder walk ignores."""
    src = tmp_path / "reports"
    (src / "sub").mkdir(parents=True)
    for p in GOOD[:5]:
        shutil.copy(p, src / p.name)
    shutil.copy(SEED_TXT, src / "sub" / "copy-of-seed.txt")  # duplicate by content
    with zipfile.ZipFile(src / "more.zip", "w") as zf:
        for p in GOOD[5:]:
            zf.write(p, f"2021/{p.name}")
        zf.write(GEN / "gen2019-s12-docx.docx", "dup.docx")  # duplicate inside the archive
    (src / "empty.pdf").write_bytes(b"")
    (src / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog garbage\n%%EOF")
    (src / "travel.txt").write_bytes(NOT_A_REPORT)
    (src / "gold.json").write_text("{}")  # not a report type: ignored by the folder walk
    return src


@pytest.mark.slow
def test_batch_over_a_mixed_folder_extracts_each_report_once_and_lists_bad_files(mixed: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "x.sqlite", tmp_path / "out"
    proc = run_batch(str(mixed), "--db", str(db), "--out", str(out), "--workers", "2")
    assert proc.returncode == 1, proc.stderr  # three files failed
    err = proc.stderr
    for needle in ("文件 / files", "完成 / done", "失败 / failed", "重复 / duplicates"):
        assert needle in err
    lines = {ln.split()[0]: ln.split()[-1] for ln in err.splitlines() if " / " in ln and ln.strip()[:1].isalpha()}
    assert lines.get("完成") == "8" and lines.get("失败") == "3" and lines.get("重复") == "2", err
    assert "empty.pdf: 文件为空" in err and "broken.pdf: 文件已损坏" in err and "travel.txt: 不是政府信息公开" in err

    store = open_store(db)
    try:
        job = store.list_jobs()[0]
        assert job.status == "done" and job.counts.total == 13 and job.counts.done == 8
        items = store.job_items(job.id)
        names = {it.file_name for it in items}
        assert "reports/more.zip!2021/gen2021-s26-blank-cells.txt" in names and "reports/gold.json" not in names
        for it in items:
            if it.status == "done":
                assert len(store.extractions(it.document_id)) == 1  # extracted exactly once
        failed = {it.file_name.rsplit("/", 1)[-1]: it.error for it in items if it.status == "failed"}
        assert set(failed) == {"empty.pdf", "broken.pdf", "travel.txt"}
        assert failed["broken.pdf"].startswith("文件已损坏，无法解析 / the file is corrupt")
        dups = {it.file_name: it.error for it in items if it.status == "skipped"}
        assert dups == {"reports/sub/copy-of-seed.txt": "重复文件 / duplicate of reports/2017-old-template-report.txt",
                        "reports/more.zip!dup.docx": "重复文件 / duplicate of reports/gen2019-s12-docx.docx"}
        # the exports' columns come from the stored values alone, the same as from the rows held at once
        held, _ = export_rows(job_reports(store, job.id))
        assert job_layout(store, job.id) == Layout.of_rows(held) and len(held) == 8
        summary = summarize(store, job.id)
        assert summary.reports == 8 and summary.findings_by_rule == dict(
            Counter(f["rule"] for r in held for f in r.findings).most_common())
    finally:
        store.close()

    # exports: one row per report, values as the one-file API reads them, blanks blank
    rows = list(csv.DictReader(io.StringIO((out / "values.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 8
    by_name = {r["file"].rsplit("!", 1)[-1].rsplit("/", 1)[-1]: r for r in rows}
    for path in GOOD:
        single = extract(path)
        row = by_name[path.name]
        assert row["template"] == single.meta.template
        for key, v in single.values.items():
            if key in row:
                assert row[key] == ("" if v.value is None else str(v.value)), (path.name, key)
    seed = by_name[SEED_TXT.name]
    assert seed["old.主动公开数"] == "42658" and seed["template"] == "2008"
    blank = extract(GEN / "gen2021-s26-blank-cells.txt")
    blank_keys = [k for k, v in blank.values.items() if v.value is None]
    assert blank_keys and all(by_name["gen2021-s26-blank-cells.txt"][k] == "" for k in blank_keys)

    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(results) == 8 and all(r["values"] for r in results)
    assert [r["document"]["name"] for r in results] == [row["file"] for row in rows]  # read from the store, in step
    findings = list(csv.DictReader(io.StringIO((out / "findings.csv").read_text(encoding="utf-8-sig"))))
    seed_rules = {f["rule"] for f in findings if f["file"].endswith(SEED_TXT.name)}
    assert {"old.channels_upper", "old.responses_sum"} <= seed_rules
    total_findings = sum(len(r["findings"]) for r in results)
    assert len(findings) == total_findings
    failed_csv = (out / "failed.csv").read_text(encoding="utf-8-sig")
    assert failed_csv.count("\n") == 4 and "travel.txt" in failed_csv

    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    table = pq.read_table(out / "values.parquet").to_pylist()
    pbn = {r["file"].rsplit("/", 1)[-1].rsplit("!", 1)[-1]: r for r in table}
    assert pbn[SEED_TXT.name]["old.主动公开数"] == 42658
    assert all(pbn["gen2021-s26-blank-cells.txt"][k] is None for k in blank_keys)
    ws = load_workbook(out / "values.xlsx", read_only=True)["values"]
    got = list(ws.iter_rows(values_only=True))
    assert len(got) == 9 and list(got[0][:2]) == ["file", "sha256"]

    # the same command again: nothing re-extracted, failures still failures
    again = run_batch(str(mixed), "--db", str(db), "--out", str(out))
    assert again.returncode == 1
    store = open_store(db)
    try:
        newest = store.list_jobs()[0]
        assert newest.counts.done == 0 and newest.counts.failed == 3 and newest.counts.skipped == 10
        assert all(len(store.extractions(d.id)) <= 1 for d in store.list_documents())
    finally:
        store.close()


@pytest.mark.slow
def test_batch_killed_with_sigkill_resumes_without_losing_or_repeating_work(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for p in GOOD:
        shutil.copy(p, src / p.name)
    db, out = tmp_path / "x.sqlite", tmp_path / "out"
    cmd = [sys.executable, "-m", "extractor.cli", "batch", str(src), "--db", str(db), "--out", str(out),
           "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "XXGK_TEST_ITEM_DELAY": "0.7"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if not db.exists():
                continue
            s = open_store(db, migrate=False)
            try:
                jobs = s.list_jobs()
                done = jobs[0].counts.done if jobs else 0
            except Exception:  # noqa: BLE001 - the schema may not be there yet
                done = 0
            finally:
                s.close()
            if done >= 3:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert 3 <= done < len(GOOD), f"the batch was not caught half-way (done={done})"
    s = open_store(db)
    try:
        job = s.list_jobs()[0]
        assert job.status == "running" and job.counts.done < len(GOOD)
        left_running = job.counts.running
    finally:
        s.close()

    again = run_batch(str(src), "--db", str(db), "--out", str(out), "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert f"继续 / resuming job {job.id}" in " ".join(again.stderr.split())
    s = open_store(db)
    try:
        assert [j.id for j in s.list_jobs()] == [job.id]  # resumed, not a new job
        final = s.get_job(job.id)
        assert final.status == "done" and final.counts.done == len(GOOD) and final.counts.failed == 0
        docs = s.list_documents()
        assert len(docs) == len(GOOD)
        assert all(len(s.extractions(d.id)) == 1 for d in docs)  # nothing done twice
        assert sum(1 for it in s.job_items(job.id) if it.attempts == 2) <= max(left_running, 2)
    finally:
        s.close()
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == len(GOOD)


@pytest.mark.slow
def test_force_extracts_again_and_a_new_command_is_a_new_job(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEED_TXT, src / SEED_TXT.name)
    db = tmp_path / "x.sqlite"
    assert run_batch(str(src), "--db", str(db), "--out", str(tmp_path / "o1"), "--workers", "1").returncode == 0
    forced = run_batch(str(src), "--db", str(db), "--out", str(tmp_path / "o2"), "--workers", "1", "--force",
                       "--labels")
    assert forced.returncode == 0, forced.stderr
    s = open_store(db)
    try:
        (doc,) = s.list_documents()
        assert len(s.extractions(doc.id)) == 2
        assert len(s.list_jobs()) == 2
    finally:
        s.close()
    header = (tmp_path / "o2" / "values.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["文件", "SHA-256", "机关"]
    assert catalog.BY_KEY["old.主动公开数"].label in header
    assert job_key([src], "rules", True) != job_key([src], "rules", False)


class _GbkName(zipfile.ZipInfo):
    """A member name stored in GBK without the UTF-8 flag."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gb18030"), self.flag_bits & ~0x800


def test_zip_members_are_named_after_the_archive_and_gbk_names_decoded(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("年报/报告.txt")
        zf.writestr(info, b"x")
        zf.writestr(_GbkName("年度报告.txt"), b"y")  # as Windows tools in China write names
        zf.writestr("__MACOSX/._x", b"junk")
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as z2:
            z2.writestr("deep.md", b"z")
        zf.writestr("inner.zip", inner.getvalue())
    (tmp_path / "a.zip").write_bytes(buf.getvalue())
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    got = [(i.name, i.data, i.error) for i in iter_inputs([tmp_path / "a.zip", tmp_path / "bad.zip"])]
    assert [g[0] for g in got] == ["a.zip!年报/报告.txt", "a.zip!年度报告.txt", "a.zip!inner.zip!deep.md", "bad.zip"]
    assert [g[1] for g in got[:3]] == [b"x", b"y", b"z"]
    assert got[3][2] is not None and got[3][2].startswith("压缩包已损坏")


def test_an_archive_over_its_files_budget_gives_the_members_before_it_and_one_line(tmp_path: Path, limits_set) -> None:
    limits_set(archive_files=10)
    got = [(i.name, i.data, i.error) for i in iter_inputs([H.many_members_zip(tmp_path, members=50)])]
    assert [g[0] for g in got] == [f"many.zip!r{i:05d}.txt" for i in range(10)] + ["many.zip"]
    assert got[3][1] == "报告 3\n".encode() and all(g[2] is None for g in got[:10])
    assert got[10][2] == ("超出限制：压缩包内文件数 / over the limit: files in the archive "
                          "(many.zip: > 10, XXGK_MAX_ARCHIVE_FILES)")


def test_a_central_directory_too_long_for_the_files_budget_is_refused_before_it_is_listed(tmp_path: Path,
                                                                                         limits_set) -> None:
    limits_set(archive_files=10)  # 40 KB of directory; 2,000 empty members list 100 KB
    bomb = H.directory_bomb_zip(tmp_path, members=2000)
    got = [(i.name, i.data, i.error) for i in iter_inputs([bomb])]
    assert got == [("directory-bomb.zip", None, ("超出限制：压缩包内文件数 / over the limit: files in the archive "
                                                 "(directory-bomb.zip: > 10, XXGK_MAX_ARCHIVE_FILES)"))]
    hidden = H.directory_bomb_zip(tmp_path, members=2000, prefix=".")  # members the walk skips uncounted
    with zipfile.ZipFile(tmp_path / "nested.zip", "w") as zf:  # nested archives share the outer one's allowance
        for k in range(3):
            zf.write(hidden, f"part{k}.zip")
    limits_set(archive_files=40)  # 160 KB of directory: room for one inner archive's 100 KB, not for two
    got = [(i.name, i.error) for i in iter_inputs([tmp_path / "nested.zip"])]
    assert got == [("nested.zip", ("超出限制：压缩包内文件数 / over the limit: files in the archive "
                                  "(nested.zip: > 40, XXGK_MAX_ARCHIVE_FILES)"))]


def test_inputs_the_bytes_alone_refuse_are_neither_stored_nor_queued(tmp_path: Path) -> None:
    from extractor.batch import Input, add_inputs

    seed = SEED_TXT.read_bytes()
    inputs = [Input("a.zip!r1.txt", "报告 1\n".encode()), Input("a.zip!blank.txt", b" \n\t"),
              Input("a.zip!old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
              Input("a.zip!seed.txt", seed), Input("copy.txt", seed)]
    with open_store(tmp_path / "x.sqlite") as store:
        items = add_inputs(store, None, inputs, extractor="rules", force=False)
        assert [(it.file_name, it.status) for it in items] == [
            ("a.zip!r1.txt", "failed"), ("a.zip!blank.txt", "failed"), ("a.zip!old.doc", "failed"),
            ("a.zip!seed.txt", "queued"), ("copy.txt", "skipped")]
        assert [d.name for d in store.list_documents()] == ["seed.txt"]  # one row stored, none for the refused
    for inp, item in zip(inputs[:3], items, strict=False):  # the very line a worker's extract() would give
        with pytest.raises(InputError) as err:
            extract(inp.data, name=inp.name.rsplit("!", 1)[-1])
        assert item.error == err.value.one_line()


def test_a_rerun_over_stored_files_asks_the_store_per_chunk_not_per_file(tmp_path: Path) -> None:
    from extractor.batch import Input, add_inputs

    with open_store(tmp_path / "x.sqlite") as store:
        files = [(p.name, p.read_bytes()) for p in GOOD]
        first = add_inputs(store, None, [Input(n, d) for n, d in files], extractor="rules", force=False)
        assert [it.status for it in first] == ["queued"] * len(GOOD)
        for it, (_name, data) in zip(first[:5], files, strict=False):  # five extracted by an earlier run
            store.save_extraction(it.document_id, extract(data, name=it.file_name))
        counting = _Counting(store)
        again = add_inputs(counting, None, [Input("again/" + n, d) for n, d in files], extractor="rules", force=False)
        assert [it.status for it in again] == ["skipped"] * 5 + ["queued"] * 3
        assert [it.document_id for it in again] == [it.document_id for it in first]
        assert again[0].error == "已提取过（--force 重新提取）/ already extracted (--force to redo)"
        assert counting.calls == {"find_documents": 1, "latest_heads": 1}  # was 2 calls per file


def test_a_save_whose_answer_a_dropped_connection_lost_is_not_saved_again(tmp_path: Path) -> None:
    """The connection drops after the database committed the result (and the item's end, one transaction)
    but before its answer arrived: the runner waits it out, settles the item again and finds it done instead
    of saving a second result."""
    from sqlalchemy.exc import OperationalError

    from extractor.batch import JobRunner, start_job

    class DropsAfterTheFirstSave:  # the real store; its first save commits, then the connection "drops"
        def __init__(self, store) -> None:
            self.store, self.dropped = store, 0

        def __getattr__(self, name: str):
            return getattr(self.store, name)

        def save_job_results(self, *args, **kwargs):
            saved = self.store.save_job_results(*args, **kwargs)
            if not self.dropped:
                self.dropped += 1
                raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"),
                                       connection_invalidated=True)
            return saved

    with open_store(tmp_path / "x.sqlite") as store:
        job, _ = start_job(store, [SEED_TXT])
        flaky = DropsAfterTheFirstSave(store)
        JobRunner(flaky, workers=1, job_id=job.id).run()
        assert flaky.dropped == 1
        (item,) = store.job_items(job.id)
        assert item.status == "done" and len(store.extractions(item.document_id)) == 1  # was 2


class _Counting:
    """The real store, the calls the runner (the parent) makes on it counted."""

    def __init__(self, store, url: str | None = None) -> None:
        self.store, self.calls, self._url, self.claimed = store, Counter(), url, []

    def claim_next_items(self, *args, **kwargs):
        got = self.store.claim_next_items(*args, **kwargs)
        self.claimed.append(len(got))
        return got

    @property
    def shared_url(self) -> str | None:
        return self._url or self.store.shared_url

    def __getattr__(self, name: str):
        self.calls[name] += 1
        return getattr(self.store, name)


def test_workers_read_their_files_from_the_store_and_the_parent_saves_their_answers_together(tmp_path: Path) -> None:
    from extractor.batch import JobRunner, start_job

    with open_store(tmp_path / "x.sqlite") as store:
        job, _ = start_job(store, GOOD[:4])
        parent = _Counting(store)
        JobRunner(parent, workers=2, job_id=job.id).run()
        items = store.job_items(job.id)
        assert [i.status for i in items] == ["done"] * 4
        assert parent.calls["document_bytes"] == parent.calls["save_job_result"] == 0  # no bytes, no JSON to parse
        assert 1 <= parent.calls["save_job_results"] <= 4  # the answers of a quarter second in one transaction
        assert [n for n in parent.claimed if n] == [4]  # 2 idle workers + 2 claimed ahead: one transaction
        for it in items:
            (ext,) = store.extractions(it.document_id)
            assert ext.id == it.extraction_id and ext.created_by == f"batch:{job.id}"
            assert json.loads(ext.result_json)["document"]["name"] == it.file_name
        seed = next(it for it in items if it.file_name == SEED_TXT.name)
        assert store.current_values(seed.document_id)["old.收到申请数"] == extract(SEED_TXT).values[
            "old.收到申请数"].value


def test_small_files_come_with_the_task_so_a_worker_never_reads_them(tmp_path: Path) -> None:
    """The workers' URL leads nowhere, and it does not matter: files of up to QUEUED_BYTES are read by the parent
    with the claim, in one query, and sent with the task."""
    from extractor.batch import JobRunner, start_job
    from extractor.pool import QUEUED_BYTES

    assert all(p.stat().st_size <= QUEUED_BYTES for p in GOOD[:3])
    with open_store(tmp_path / "x.sqlite") as store:
        job, _ = start_job(store, GOOD[:3])
        parent = _Counting(store, url="postgresql+psycopg://nobody:x@127.0.0.1:9/none")
        JobRunner(parent, workers=1, job_id=job.id).run()
        items = store.job_items(job.id)
        assert [(i.status, i.attempts) for i in items] == [("done", 1)] * 3
        assert parent.calls["small_files"] == 1 and parent.calls["document_bytes"] == 0
        assert store.small_files([i.document_id for i in items], QUEUED_BYTES) == {
            i.document_id: store.document_bytes(i.document_id) for i in items}
        assert store.small_files([i.document_id for i in items], 10) == {}


@pytest.mark.slow
def test_workers_that_cannot_reach_the_store_hand_reading_back_to_the_parent(tmp_path: Path) -> None:
    """The URL the workers get leads nowhere (a port nothing listens on): the first big file comes back unread,
    the parent reads the files for them from then on, and every file is extracted exactly once."""
    from extractor.batch import JobRunner, start_job
    from extractor.pool import QUEUED_BYTES

    big = []
    for i in range(3):  # too big to travel with the task: the workers would read them
        path = tmp_path / f"big{i}.txt"
        path.write_bytes(SEED_TXT.read_bytes() + b"\n" * (QUEUED_BYTES + i + 1))
        big.append(path)
    with open_store(tmp_path / "x.sqlite") as store:
        job, _ = start_job(store, big)
        parent = _Counting(store, url="postgresql+psycopg://nobody:x@127.0.0.1:9/none")
        JobRunner(parent, workers=1, job_id=job.id).run()
        items = store.job_items(job.id)
        assert [i.status for i in items] == ["done"] * 3
        assert parent.calls["save_job_result"] == parent.calls["document_bytes"] == 3
        assert [len(store.extractions(i.document_id)) for i in items] == [1, 1, 1]
        assert max(i.attempts for i in items) == 2  # the one the workers could not read was claimed again


def test_a_summary_gives_one_line_for_many_members_of_an_archive_failing_alike() -> None:
    from extractor.batch import failure_lines

    failures = [("in/a.txt", "文件为空 / the file is empty (a.txt)")]
    failures += [(f"in/m.zip!r{i}.txt", f"不是政府信息公开工作年度报告 / not a … report (r{i}.txt)") for i in range(1000)]
    failures += [("in/m.zip!x.pdf", "文件已损坏 / corrupt (x.pdf)"), ("in/m.zip", "超出限制 / over (m.zip: > 1,000)")]
    assert failure_lines(failures) == [
        ("in/a.txt", "文件为空 / the file is empty (a.txt)"),
        ("in/m.zip", ("1,000 个文件 / members: 不是政府信息公开工作年度报告 / not a … report (r0.txt … r999.txt; "
                     "see failed.csv)")),
        ("in/m.zip!x.pdf", "文件已损坏 / corrupt (x.pdf)"), ("in/m.zip", "超出限制 / over (m.zip: > 1,000)")]
    assert failure_lines(failures[:4]) == failures[:4]  # three alike stay three lines


def test_exports_keep_blanks_blank_and_label_headers_unique() -> None:
    from schemas.results import ReportMeta, Result, Value

    r = Result(meta=ReportMeta(template="2021", year=2022, agency="某县"), values={
        "t3.本年新收.自然人": Value(key="t3.本年新收.自然人", value=0, raw="0"),
        "t3.本年新收.商业企业": Value(key="t3.本年新收.商业企业", value=None, raw="—", status="dash")})
    rows = [ExportRow.of("a.pdf", r)]
    text = values_csv(rows).decode("utf-8-sig")
    head, line = text.splitlines()
    cells = dict(zip(head.split(","), line.split(",")))
    assert cells["t3.本年新收.自然人"] == "0" and cells["t3.本年新收.商业企业"] == ""
    assert cells["t3.上年结转.自然人"] == ""  # not printed at all: blank too
    keys = columns(rows)
    assert keys == [f.key for f in catalog.FIELDS if "2021" in f.templates and not f.prose_only
                    and not f.key.endswith(".历年累计")]
    labelled = headers(keys, labels=True)
    assert len(set(labelled)) == len(labelled)


@pytest.mark.slow
def test_ctrl_c_stops_with_130_and_the_same_command_resumes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for p in GOOD[:6]:
        shutil.copy(p, src / p.name)
    db, out = tmp_path / "x.sqlite", tmp_path / "out"
    cmd = [sys.executable, "-m", "extractor.cli", "batch", str(src), "--db", str(db), "--out", str(out),
           "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "XXGK_TEST_ITEM_DELAY": "0.7"}, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and done < 2:
        time.sleep(0.2)
        if db.exists():
            s = open_store(db, migrate=False)
            try:
                jobs = s.list_jobs()
                done = jobs[0].counts.done if jobs else 0
            except Exception:  # noqa: BLE001 - the schema may not be there yet
                done = 0
            finally:
                s.close()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group gets SIGINT
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command to resume" in " ".join(err.split())
    s = open_store(db)
    try:
        job = s.list_jobs()[0]
        assert job.counts.running == 0 and 2 <= job.counts.done < 6  # files in flight went back to the queue
    finally:
        s.close()
    again = run_batch(str(src), "--db", str(db), "--out", str(out))
    assert again.returncode == 0, again.stderr
    s = open_store(db)
    try:
        assert s.get_job(job.id).counts.done == 6 and len(s.list_jobs()) == 1
        assert all(len(s.extractions(d.id)) == 1 for d in s.list_documents())
    finally:
        s.close()


def test_batch_checks_its_reports_against_last_years_in_the_database(tmp_path: Path) -> None:
    from tests.conftest import real_pdf

    db, last, this = tmp_path / "x.sqlite", tmp_path / "2023", tmp_path / "2024"
    for folder, slug in ((last, "2023-huaian-hongze-district"), (this, "2024-huaian-hongze-district")):
        folder.mkdir()
        shutil.copy(real_pdf(slug), folder)
    first = run_batch(str(last), "--db", str(db), "--out", str(tmp_path / "o1"), "--workers", "1")
    assert first.returncode == 0, first.stderr
    assert "cross-year: 0 finding(s) in 0 pair(s)" in first.stderr
    s = open_store(db)
    try:  # a reviewer corrects last year's carried-on count: this year's 上年结转 no longer follows from it
        (doc,) = s.list_documents()
        s.record_edit(doc.id, "t3.结转下年度.总计", 2, reason="核对原件", who="审核员")
    finally:
        s.close()
    second = run_batch(str(this), "--db", str(db), "--out", str(tmp_path / "o2"), "--workers", "1")
    assert second.returncode == 0, second.stderr
    assert "cross-year: 1 finding(s) in 1 pair(s)" in second.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o2" / "years.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["previous_file"], r["file"], r["rule"], r["actual"], r["expected"]) for r in rows] == [
        ("2023-huaian-hongze-district.pdf", "2024-huaian-hongze-district.pdf", "years.t3_carry_over", "0", "2")]


def test_a_file_on_disk_and_the_same_bytes_uploaded_come_in_the_same_way(tmp_path: Path) -> None:
    """One intake: an archive is known by its bytes as well as by its name, from disk or from an upload."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "政府信息公开工作年度报告 甲")
        zf.writestr("sub/b.txt", "政府信息公开工作年度报告 乙")
    path = tmp_path / "bundle.dat"
    path.write_bytes(buf.getvalue())
    from_disk = [(i.name, i.data, i.error) for i in iter_inputs([path])]
    uploaded = [(i.name, i.data, i.error) for i in inputs_from_bytes(buf.getvalue(), "bundle.dat")]
    assert from_disk == uploaded
    assert [n for n, _, _ in uploaded] == ["bundle.dat!a.txt", "bundle.dat!sub/b.txt"]
