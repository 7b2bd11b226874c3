"""The store on SQLite (a temp file) and, when XXGK_TEST_POSTGRES_URL is set, on PostgreSQL too.

Start a PostgreSQL for these tests with ``eval "$(.ci/postgres.sh)"``; every PostgreSQL test gets a
fresh database of its own (the role needs CREATEDB, which the script grants).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import requirements

requirements.package("sqlalchemy", "store", module_level=True)

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from extractor._errors import ConfigError, XxgkError
from extractor.settings import use as use_settings
from extractor.store import (
    NewJobItem,
    NotFoundError,
    Store,
    StoreError,
    current_revision,
    finding_key,
    finding_key_of,
    head_revision,
    open_store,
    resolve_url,
)
from extractor.store.engine import downgrade, upgrade
from extractor.store.models import Base
from schemas.catalog import BY_KEY
from schemas.results import Evidence, Finding, ReportMeta, Result, Usage, Value

TABLES = {"documents", "document_files", "extractions", "reviews", "review_events", "edits", "finding_decisions",
          "jobs", "job_items", "llm_batches", "alembic_version"}
K_TOTAL, K_PERSON, K_OPEN, K_REVIEW = "t3.本年新收.总计", "t3.本年新收.自然人", "t3.予以公开.总计", "t4.复议.维持"


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.close()


def make_result(values: dict[str, int | float | None], *, agency: str = "某市人民政府办公室", year: int = 2021,
                template: str = "2021", findings: list[Finding] | None = None, extractor: str = "rules") -> Result:
    """A Result as an extractor would return it, with real catalog keys and evidence."""
    assert all(k in BY_KEY for k in values), "test keys must be catalog keys"
    vals = {k: Value(key=k, value=v, raw="" if v is None else str(v), status="number" if v is not None else "blank",
                     unit=BY_KEY[k].unit, evidence=[Evidence(page=2, start=10 * i, end=10 * i + 2, text=str(v),
                                                             row=i, col=6)])
            for i, (k, v) in enumerate(values.items())}
    return Result(meta=ReportMeta(agency=agency, year=year, template=template), extractor=extractor, values=vals,
                  findings=findings or [], usage=Usage(calls=2, prompt_tokens=1500, completion_tokens=300),
                  seconds=0.42)


SUM_FINDING = Finding(rule="t3.办理结果总计", kind="sum", severity="error", message="办理结果总计不等于各项之和",
                      keys=[K_OPEN, K_TOTAL], expected=40, actual=41)
PROSE_FINDING = Finding(rule="prose.t4", kind="prose", severity="warning", message="正文与表格不一致",
                        keys=[K_REVIEW], expected=1, actual=3)


def add_report(store: Store, payload: bytes, values: dict[str, int | float | None], **kw: object) -> tuple[int, int]:
    doc = store.add_document(payload, f"{payload[:8].decode(errors='ignore')}.pdf", "pdf")
    return doc.id, store.save_extraction(doc.id, make_result(values, **kw), created_by="test")  # type: ignore[arg-type]


# -- migrations and configuration -------------------------------------------------------------------
def test_migrations_build_the_schema_on_a_fresh_database(db_url: str) -> None:
    s = open_store(db_url)
    try:
        assert current_revision(s.engine) == head_revision() == "0003"
        assert TABLES <= set(inspect(s.engine).get_table_names())
        with s.engine.connect() as conn:  # the migrations and the ORM models describe the same schema
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
        downgrade(s.engine, "base")
        assert set(inspect(s.engine).get_table_names()) <= {"alembic_version"}
        upgrade(s.engine)
        assert TABLES <= set(inspect(s.engine).get_table_names())
    finally:
        s.close()


def _compression(store: Store, table: str, column: str) -> str:
    """PostgreSQL's compression method for a column's new values ('' the server's default)."""
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT attcompression FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
                                 "AND attname = :c"), {"t": table, "c": column}).scalar() or ""


def test_postgresql_compresses_results_with_lz4_and_reads_them_back(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite stores the text as it is")
    with open_store(db_url) as s:
        with s.engine.connect() as conn:
            offered = conn.execute(text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
            if "lz4" not in (offered.scalar() or []):
                pytest.skip("this PostgreSQL server was built without lz4")
        for table, column in (("extractions", "result"), ("extractions", "values"), ("extractions", "findings"),
                              ("document_files", "data")):
            assert _compression(s, table, column) == "l", (table, column)
        big = make_result({K_TOTAL: 41, K_OPEN: 20, K_PERSON: None}, findings=[SUM_FINDING] * 100)  # > 2 KB: TOAST
        doc = s.add_document(b"report " * 1000, "big.txt")
        got = s.get_extraction(s.save_extraction(doc.id, big))
        assert got.result.findings == big.findings and got.values == {K_TOTAL: 41, K_OPEN: 20, K_PERSON: None}
        with s.engine.connect() as conn:  # the value was stored compressed, by lz4
            method = conn.execute(text("SELECT pg_column_compression(result) FROM extractions WHERE id = :i"),
                                  {"i": got.id}).scalar()
        assert method == "lz4"
        assert s.document_bytes(doc.id) == b"report " * 1000
        downgrade(s.engine, "0002")
        assert _compression(s, "extractions", "result") == ""
        upgrade(s.engine)
        assert _compression(s, "extractions", "result") == "l"


def test_a_database_from_a_newer_version_is_refused_clearly(db_url: str) -> None:
    open_store(db_url).close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="'9999'"):
        open_store(db_url)


OPENERS = 8  # `xxgk batch` workers, `xxgk serve` and the UI open one store at once


def _open_and_write(url: str, n: int, barrier: Any, queue: Any) -> None:
    """One process: wait for the others, open the store (migrating it if nobody has yet), write once."""
    try:
        barrier.wait(timeout=300)
        with open_store(url) as s:
            doc = s.add_document(f"opened by process {n}".encode(), f"p{n}.pdf")
            queue.put((n, current_revision(s.engine), doc.id, ""))
    except BaseException as exc:  # noqa: BLE001 - sent back to the test
        queue.put((n, None, None, f"{type(exc).__name__}: {exc}"))


def open_from_processes(url: str, n: int = OPENERS) -> list[tuple[int, str | None, int | None, str]]:
    """Open one store from ``n`` fresh processes released at the same moment; what each one saw."""
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_open_and_write, args=(url, i, barrier, queue)) for i in range(n)]
    for p in procs:
        p.start()
    try:
        got = sorted(queue.get(timeout=600) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    return got


@pytest.mark.slow
def test_opening_concurrently_migrates_once(db_url: str) -> None:
    got = open_from_processes(db_url)
    assert [error for *_, error in got] == [""] * OPENERS
    assert [rev for _, rev, _, _ in got] == [head_revision()] * OPENERS
    with open_store(db_url) as s:
        assert len({doc_id for _, _, doc_id, _ in got}) == OPENERS == len(s.list_documents())
        with s.engine.connect() as conn:  # one migration history, not one per process
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_sqlite_is_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    s = open_store(tmp_path / "sub" / "db.sqlite")  # a bare path, parent created
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    s.close()


def test_default_location_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XXGK_DATABASE_URL", raising=False)
    monkeypatch.setenv("XXGK_DATA_DIR", str(tmp_path / "data"))
    assert resolve_url().database == str(tmp_path / "data" / "xxgk.sqlite")
    s = open_store()
    s.add_document(b"x", "x.txt")
    s.close()
    assert (tmp_path / "data" / "xxgk.sqlite").is_file()
    monkeypatch.delenv("XXGK_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    use_settings(None)  # the settings are read once per process: read them again, as a new process would
    assert resolve_url().database == str(tmp_path / "xdg" / "xxgk" / "xxgk.sqlite")
    monkeypatch.setenv("XXGK_DATABASE_URL", "postgres://u:p@127.0.0.1:5433/db")
    use_settings(None)
    url = resolve_url()
    assert (url.drivername, url.port, url.database) == ("postgresql+psycopg", 5433, "db")
    assert resolve_url("sqlite:////tmp/a.sqlite").database == "/tmp/a.sqlite"  # explicit beats the environment
    with pytest.raises(ConfigError):
        resolve_url("mysql://u@h/db")


# -- documents ---------------------------------------------------------------------------------------
def test_documents_are_kept_once_per_hash(store: Store) -> None:
    pdf = b"%PDF-1.7 a report" + bytes(range(256)) * 40
    first = store.add_document(pdf, "2021年报.pdf")
    again = store.add_document(pdf, "copy of 2021年报.PDF", who="张三")
    other = store.add_document(pdf + b"\n", "2021年报.pdf")
    assert first.created and not again.created and other.created
    assert again.id == first.id != other.id
    assert (again.name, again.type, again.size) == ("2021年报.pdf", "pdf", len(pdf))  # the first upload's name
    assert first.sha256 == hashlib.sha256(pdf).hexdigest()
    assert store.document_bytes(first.id) == pdf
    assert store.find_document(first.sha256.upper()) == store.get_document(first.id)
    assert store.find_document("0" * 64) is None
    assert [d.id for d in store.list_documents()] == [first.id, other.id]
    assert store.get_review(first.id).state == "pending"
    with pytest.raises(NotFoundError):
        store.get_document(9999)
    assert issubclass(NotFoundError, XxgkError)


def test_a_chunk_of_files_is_stored_in_one_step_each_once_per_hash(store: Store) -> None:
    """What a batch does with its inputs: add_document's answer for each file, stored in one transaction."""
    old = store.add_document(b"stored before", "old.txt")
    files = [(b"report a" * 100, "a.PDF"), (b"stored before", "old again.txt"), (b"report b", "b.docx"),
             (b"report a" * 100, "copy of a.pdf"), (b"", "no suffix")]
    got = store.add_documents(files, who="batch")
    assert [(d.name, d.type, d.size, d.created) for d in got] == [
        ("a.PDF", "pdf", 800, True), ("old.txt", "txt", 13, False), ("b.docx", "docx", 8, True),
        ("a.PDF", "pdf", 800, False), ("no suffix", "bin", 0, True)]
    assert got[0].id == got[3].id and got[1].id == old.id and len({d.id for d in got}) == 4
    assert [store.document_bytes(d.id) for d in got] == [data for data, _ in files[:1]] + [b"stored before"] + [
        b"report b", b"report a" * 100, b""]
    assert all(store.get_review(d.id).state == "pending" for d in got)
    assert [d.sha256 for d in got] == [hashlib.sha256(data).hexdigest() for data, _ in files]
    assert store.add_documents(files) == [d.model_copy(update={"created": False}) for d in got]  # again: nothing new


def test_the_same_file_added_by_many_writers_at_once_is_stored_once(store: Store) -> None:
    data = b"<html><table><tr><td>1</td></tr></table></html>" * 100
    rows = []
    barrier = threading.Barrier(4)

    def add() -> None:
        barrier.wait()
        rows.append(store.add_document(data, "r.html"))

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.id for r in rows}) == 1
    assert sorted(r.created for r in rows) == [False, False, False, True]
    assert len(store.list_documents()) == 1


# -- extractions ---------------------------------------------------------------------------------------
def test_extractions_are_immutable_versions(store: Store) -> None:
    doc = store.add_document(b"report one", "one.txt")
    r1 = make_result({K_TOTAL: 41, K_OPEN: 20, K_PERSON: None}, findings=[SUM_FINDING])
    r2 = make_result({K_TOTAL: 40, K_OPEN: 20, K_PERSON: 3}, extractor="llm")
    id1 = store.save_extraction(doc.id, r1, created_by="batch")
    id2 = store.save_extraction(doc.id, r2, created_by="ui:张三")
    assert id1 != id2
    v1, v2 = store.extractions(doc.id)
    assert (v1.id, v1.version, v1.extractor, v1.created_by) == (id1, 1, "rules", "batch")
    assert (v2.id, v2.version, v2.extractor, v2.created_by) == (id2, 2, "llm", "ui:张三")
    assert v1.values == {K_TOTAL: 41, K_OPEN: 20, K_PERSON: None}  # blank stays None, not 0
    assert (v1.n_error, v1.n_warning, v1.n_info) == (1, 0, 0)
    assert (v1.template, v1.agency, v1.year, v1.seconds) == ("2021", "某市人民政府办公室", 2021, 0.42)
    assert v1.usage == Usage(calls=2, prompt_tokens=1500, completion_tokens=300)
    assert store.latest_extraction(doc.id) == v2
    assert store.get_extraction(id1) == v1
    # the full Result round-trips, with the document's identity filled in
    assert v1.result.values == r1.values and v1.result.findings == r1.findings
    assert v1.result.document.sha256 == doc.sha256 and v1.result.document.name == "one.txt"
    assert v1.result.values[K_PERSON].status == "blank"
    assert '"agency":"某市人民政府办公室"' in v1.result_json  # stored compact, Chinese kept as UTF-8
    # the database itself refuses to change a version
    with pytest.raises(DBAPIError, match="immutable"), store.engine.begin() as conn:
        conn.execute(text("UPDATE extractions SET extractor = 'x' WHERE id = :i"), {"i": id1})
    assert store.get_extraction(id1).extractor == "rules"
    bare = store.add_document(b"no extraction", "n.txt")
    assert store.latest_extraction(bare.id) is None
    other = store.add_document(b"report two", "two.txt")
    id3 = store.save_extraction(other.id, make_result({K_TOTAL: 7}))
    assert {d: e.id for d, e in store.latest_extractions().items()} == {doc.id: id2, other.id: id3}
    assert {d: e.id for d, e in store.latest_extractions([other.id, bare.id]).items()} == {other.id: id3}
    heads = store.latest_heads([doc.id, other.id, bare.id])  # who and when, no result read
    assert set(heads) == {doc.id, other.id}
    assert (heads[doc.id].id, heads[doc.id].version, heads[doc.id].extractor, heads[doc.id].created_by) == (
        id2, 2, "llm", "ui:张三")
    assert heads[doc.id].created_at == v2.created_at and heads[other.id].id == id3


def test_a_file_reader_reads_file_after_file_on_one_connection_and_outlives_a_dropped_one(store: Store) -> None:
    files = [b"%PDF-1.7 first" + bytes(range(256)) * 40, "第二份报告".encode() * 500, b"third"]
    ids = [store.add_document(data, f"{i}.pdf").id for i, data in enumerate(files)]
    reader = store.file_reader()
    try:
        assert [reader.read(i) for i in ids + ids[:1]] == files + files[:1]
        with pytest.raises(NotFoundError, match="no document"):
            reader.read(max(ids) + 1)
        assert reader.read(ids[1]) == files[1]  # a missing file leaves the reader working
        if store.engine.dialect.name == "postgresql":  # the server drops the reader's connection (a restart)
            held = reader._conn  # the connection whose backend is killed
            assert held is not None
            pid = held.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with store.engine.connect() as other:
                assert other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar() is True
            assert reader.read(ids[2]) == files[2]  # opened again, once
            assert reader._conn is not held
    finally:
        reader.close()
    assert store.document_bytes(ids[0]) == files[0]


def test_the_latest_columns_give_the_exports_the_rows_the_stored_results_give(store: Store) -> None:
    from extractor.exports import ExportRow

    one = store.add_document(b"report one", "one.txt")
    store.save_extraction(one.id, make_result({K_TOTAL: 40}))
    scanned = make_result({K_TOTAL: 41, K_OPEN: 20.5, K_PERSON: None}, findings=[SUM_FINDING, PROSE_FINDING])
    scanned = scanned.model_copy(update={"document": scanned.document.model_copy(update={"ocr_pages": 2})})
    store.save_extraction(one.id, scanned)  # version 2: the latest
    two = store.add_document(b"report two", "two.txt")
    store.save_extraction(two.id, make_result({K_REVIEW: 3}, agency="某县人民政府", year=2020, template="2019"))
    bare = store.add_document(b"no extraction", "n.txt")
    ids = [one.id, two.id, bare.id]
    columns = store.latest_columns(ids)
    assert set(columns) == {one.id, two.id} and all(c.valid for c in columns.values())
    parsed = {d: ExportRow.of(f"{d}.txt", e) for d, e in store.latest_extractions(ids).items()}
    from_columns = {d: ExportRow.of(f"{d}.txt", c) for d, c in columns.items()}
    assert from_columns == parsed  # every field, the result's text included
    row = from_columns[one.id]
    assert (row.ocr_pages, row.sha256, row.values[K_PERSON], row.values[K_OPEN]) == (2, one.sha256, None, 20.5)
    assert [f["rule"] for f in row.findings] == ["t3.办理结果总计", "prose.t4"]
    lean = store.latest_columns(ids, text=False)  # without the results' text (every export but results.jsonl)
    assert {d: ExportRow.of(f"{d}.txt", c, keep_text=False) for d, c in lean.items()} == {
        d: ExportRow.of(f"{d}.txt", e, keep_text=False) for d, e in store.latest_extractions(ids).items()}
    assert lean[one.id].result_json == ""
    if store.backend == "sqlite":  # a result damaged by hand: that row says so, the others read on
        with store.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER extractions_immutable"))
            conn.execute(text("UPDATE extractions SET result = '{\"values\": [1, 2' WHERE id = :i"),
                         {"i": columns[two.id].id})
        damaged = store.latest_columns(ids)
        assert not damaged[two.id].valid and damaged[one.id].valid
        with pytest.raises(ValueError, match="not JSON"):
            ExportRow.of("two.txt", damaged[two.id])
        assert ExportRow.of(f"{one.id}.txt", damaged[one.id]) == from_columns[one.id]


def test_a_result_for_another_file_is_refused(store: Store) -> None:
    doc = store.add_document(b"report one", "one.txt")
    wrong = make_result({K_TOTAL: 1})
    wrong.document.sha256 = "ab" * 32
    with pytest.raises(StoreError, match="result is for"):
        store.save_extraction(doc.id, wrong)
    with pytest.raises(NotFoundError):
        store.save_extraction(4242, make_result({K_TOTAL: 1}))
    assert store.extractions(doc.id) == []


# -- edits, findings and review -------------------------------------------------------------------------
def test_edits_write_audit_rows_and_overlay_the_latest_extraction(store: Store) -> None:
    doc_id, ext_id = add_report(store, b"seed report", {K_TOTAL: 41, K_OPEN: 20, K_PERSON: None})
    before = datetime.now(UTC)
    e1 = store.record_edit(doc_id, K_TOTAL, 40, reason="表格合计印错，按分项之和", who="张三")
    e2 = store.record_edit(doc_id, K_TOTAL, 42, reason="再次核对原件", who="李四")
    e3 = store.record_edit(doc_id, K_PERSON, 0, reason="原件为 0", who="张三")
    e4 = store.record_edit(doc_id, K_REVIEW, 2, who="张三")  # a key the extraction did not find
    assert e1 and e2 and e3 and e4
    assert (e1.key, e1.old_value, e1.new_value, e1.reason, e1.who, e1.extraction_id) == (
        K_TOTAL, 41, 40, "表格合计印错，按分项之和", "张三", ext_id)
    assert (e2.old_value, e2.new_value, e2.who) == (40, 42, "李四")  # old value = the current one, not the extracted
    assert (e3.old_value, e3.new_value) == (None, 0)  # blank → 0 is a change
    assert e4.old_value is None
    assert before <= e1.created_at <= e4.created_at <= datetime.now(UTC)
    assert store.edits(doc_id) == [e1, e2, e3, e4]
    assert store.current_values(doc_id) == {K_TOTAL: 42, K_OPEN: 20, K_PERSON: 0, K_REVIEW: 2}
    assert store.record_edit(doc_id, K_TOTAL, 42.0, who="张三") is None  # unchanged: nothing written
    assert len(store.edits(doc_id)) == 4
    # a re-extraction keeps the people's edits on top
    ext2 = store.save_extraction(doc_id, make_result({K_TOTAL: 41, K_OPEN: 21, K_PERSON: None}))
    assert store.current_values(doc_id) == {K_TOTAL: 42, K_OPEN: 21, K_PERSON: 0, K_REVIEW: 2}
    e5 = store.record_edit(doc_id, K_OPEN, None, reason="原件为空白", who="王五")
    assert e5 is not None and (e5.extraction_id, e5.old_value, e5.new_value) == (ext2, 21, None)
    assert store.latest_extraction(doc_id).values[K_OPEN] == 21  # the version itself is untouched
    with pytest.raises(StoreError, match="unknown key"):
        store.record_edit(doc_id, "t3.不存在", 1, who="张三")
    with pytest.raises(StoreError, match="number"):
        store.record_edit(doc_id, K_TOTAL, "42", who="张三")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="number"):
        store.record_edit(doc_id, K_TOTAL, True, who="张三")
    with pytest.raises(StoreError, match="name"):
        store.record_edit(doc_id, K_TOTAL, 1, who="")
    with pytest.raises(StoreError, match="no extraction"):
        store.record_edit(store.add_document(b"bare", "b.txt").id, K_TOTAL, 1, who="张三")


def test_finding_decisions(store: Store) -> None:
    doc_id, ext_id = add_report(store, b"with findings", {K_TOTAL: 41, K_OPEN: 20, K_REVIEW: 3},
                                findings=[SUM_FINDING, PROSE_FINDING])
    acc = store.decide_finding(doc_id, SUM_FINDING.rule, [K_TOTAL, K_OPEN], "accepted", who="张三")
    assert (acc.decision, acc.who, acc.extraction_id) == ("accepted", "张三", ext_id)
    assert acc.keys == sorted([K_TOTAL, K_OPEN])
    assert acc.finding_key == finding_key_of(SUM_FINDING)  # key order does not matter
    with pytest.raises(StoreError, match="reason"):
        store.decide_finding(doc_id, PROSE_FINDING.rule, PROSE_FINDING.keys, "dismissed", who="张三")
    dis = store.decide_finding(doc_id, PROSE_FINDING.rule, PROSE_FINDING.keys, "dismissed", who="李四",
                               reason="正文所述为另一口径")
    assert (dis.decision, dis.reason) == ("dismissed", "正文所述为另一口径")
    later = store.decide_finding(doc_id, SUM_FINDING.rule, SUM_FINDING.keys, "dismissed", who="李四",
                                 reason="复核后确认为提取错误")
    decisions = store.finding_decisions(doc_id)
    assert decisions == {finding_key_of(SUM_FINDING): later, finding_key_of(PROSE_FINDING): dis}
    assert [d.id for d in store.finding_decision_history(doc_id)] == [acc.id, dis.id, later.id]
    with pytest.raises(StoreError, match="no finding"):
        store.decide_finding(doc_id, "t3.other", [K_TOTAL], "accepted", who="张三")
    with pytest.raises(StoreError, match="decision"):
        store.decide_finding(doc_id, SUM_FINDING.rule, SUM_FINDING.keys, "maybe", who="张三")  # type: ignore[arg-type]


def test_review_states_and_confirmed_values(store: Store) -> None:
    doc_id, ext_id = add_report(store, b"to review", {K_TOTAL: 41, K_OPEN: 20})
    assert store.get_review(doc_id).state == "pending"
    store.record_edit(doc_id, K_TOTAL, 40, reason="印错", who="张三")
    conf = store.set_review_state(doc_id, "confirmed", who="张三", note="已核对")
    assert (conf.state, conf.label, conf.reviewer) == ("confirmed", "已确认", "张三")
    assert conf.confirmed_extraction_id == ext_id
    assert conf.confirmed_values == {K_TOTAL: 40, K_OPEN: 20}
    (row,) = store.confirmed_values()
    assert (row.document_id, row.agency, row.year, row.template, row.reviewer, row.extraction_id) == (
        doc_id, "某市人民政府办公室", 2021, "2021", "张三", ext_id)
    assert row.values == {K_TOTAL: 40, K_OPEN: 20} and row.confirmed_at == conf.confirmed_at
    # an edit after confirmation sends the report back to pending
    store.record_edit(doc_id, K_OPEN, 19, reason="再核", who="李四")
    assert store.get_review(doc_id).state == "pending"
    assert store.confirmed_values() == []
    store.set_review_state(doc_id, "returned", who="李四", note="表格缺页")
    review = store.get_review(doc_id)
    assert (review.state, review.label, review.reviewer, review.note, review.confirmed_values) == (
        "returned", "已退回", "李四", "表格缺页", None)
    events = store.review_events(doc_id)
    assert [(e.old_state, e.new_state, e.who) for e in events] == [
        ("pending", "confirmed", "张三"), ("confirmed", "pending", "李四"), ("pending", "returned", "李四")]
    with pytest.raises(StoreError, match="review state"):
        store.set_review_state(doc_id, "done", who="李四")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="no extraction"):
        store.set_review_state(store.add_document(b"bare", "b.txt").id, "confirmed", who="张三")


def test_a_new_extraction_unconfirms_only_when_values_change(store: Store) -> None:
    doc_id, _ = add_report(store, b"stable", {K_TOTAL: 41})
    store.set_review_state(doc_id, "confirmed", who="张三")
    store.save_extraction(doc_id, make_result({K_TOTAL: 41}, extractor="llm"))  # same values
    assert store.get_review(doc_id).state == "confirmed"
    store.save_extraction(doc_id, make_result({K_TOTAL: 44}))
    review = store.get_review(doc_id)
    assert review.state == "pending" and review.confirmed_values is None
    assert store.review_events(doc_id)[-1].new_state == "pending"


def test_list_reports_filters_and_counts(store: Store) -> None:
    a, _ = add_report(store, b"report A", {K_TOTAL: 1}, agency="甲市人民政府", year=2021, template="2021",
                      findings=[SUM_FINDING, PROSE_FINDING])
    b, _ = add_report(store, b"report B", {K_TOTAL: 2}, agency="乙县人民政府", year=2020, template="2019")
    c, _ = add_report(store, b"report C", {"old.收到申请数": 3}, agency="甲市人民政府", year=2017, template="2008",
                      findings=[PROSE_FINDING, PROSE_FINDING])
    store.save_extraction(a, make_result({K_TOTAL: 1}, agency="甲市人民政府", year=2021, findings=[SUM_FINDING]))
    store.add_document(b"not extracted yet", "waiting.pdf")
    store.set_review_state(b, "confirmed", who="张三")
    store.record_edit(c, "old.收到申请数", 4, who="张三")

    every = store.list_reports(order_by="year", descending=False)
    assert [r.document_id for r in every] == [c, b, a]
    ra = store.list_reports(agency="甲市人民政府", year=2021)[0]
    assert (ra.document_id, ra.version, ra.n_error, ra.n_warning, ra.state, ra.state_label) == (
        a, 2, 1, 0, "pending", "待审核")  # counts of the latest version
    assert [r.document_id for r in store.list_reports(agency="甲市人民政府", order_by="year")] == [a, c]
    assert [r.document_id for r in store.list_reports(state="confirmed")] == [b]
    assert {r.document_id for r in store.list_reports(state=["pending", "returned"])} == {a, c}
    assert [r.document_id for r in store.list_reports(template="2008")] == [c]
    assert [(r.document_id, r.n_warning, r.n_edits) for r in store.list_reports(year=2017)] == [(c, 2, 1)]
    assert {r.document_id for r in store.list_reports(search="乙县")} == {b}
    assert {r.document_id for r in store.list_reports(search="report")} == {a, b, c}  # file names
    assert [r.document_id for r in store.list_reports(order_by="n_warning", limit=1)] == [c]
    assert len(store.list_reports(order_by="year", limit=2, offset=2)) == 1
    assert store.list_reports(agency="丙") == []
    with pytest.raises(StoreError, match="order by"):
        store.list_reports(order_by="result")
    store.set_review_state(a, "confirmed", who="李四")
    assert [r.document_id for r in store.confirmed_values(agency="甲市人民政府")] == [a]
    assert {r.document_id for r in store.confirmed_values()} == {a, b}
    assert [r.document_id for r in store.confirmed_values(template="2019", year=2020)] == [b]


# -- jobs ---------------------------------------------------------------------------------------------
def test_jobs_and_items_lifecycle(store: Store, db_url: str) -> None:
    job = store.create_job({"extractor": "rules", "workers": 2}, [
        "a.pdf", NewJobItem(file_name="b.docx", document_sha="cd" * 32),
        NewJobItem(file_name="bad.zip/x.doc", status="failed", error="不支持旧版 Word (.doc) 文件"),
    ], created_by="cli")
    assert (job.status, job.options, job.created_by, len(job.id)) == ("queued", {"extractor": "rules", "workers": 2},
                                                                      "cli", 32)
    assert (job.counts.total, job.counts.queued, job.counts.failed) == (3, 2, 1)
    first = store.claim_next_item(job.id, worker="w1")
    assert first is not None and (first.file_name, first.status, first.attempts, first.worker) == (
        "a.pdf", "running", 1, "w1")
    assert store.get_job(job.id).status == "running"
    doc = store.add_document(b"a report", "a.pdf")
    ext = store.save_extraction(doc.id, make_result({K_TOTAL: 5}))
    done = store.finish_item(first.id, extraction_id=ext, document_id=doc.id, document_sha=doc.sha256)
    assert (done.status, done.extraction_id, done.document_id, done.error) == ("done", ext, doc.id, None)
    with pytest.raises(StoreError, match="not running"):
        store.finish_item(first.id)
    second = store.claim_next_item(job.id, worker="w2")
    assert second is not None and second.file_name == "b.docx"
    retried = store.fail_item(second.id, "LLM endpoint down", retry=True)
    assert (retried.status, retried.error) == ("queued", "LLM endpoint down")
    again = store.claim_next_item(job.id, worker="w2")
    assert again is not None and (again.id, again.attempts) == (second.id, 2)
    failed = store.fail_item(again.id, "文件已损坏，无法解析 / the file is corrupt")
    assert failed.status == "failed"
    assert store.claim_next_item(job.id) is None
    counts = store.job_counts(job.id)
    assert (counts.total, counts.done, counts.failed) == (3, 1, 2)
    assert (counts.queued, counts.running, counts.finished) == (0, 0, 3)
    assert [i.status for i in store.job_items(job.id)] == ["done", "failed", "failed"]
    assert [i.file_name for i in store.job_items(job.id, status="failed")] == ["b.docx", "bad.zip/x.doc"]
    assert store.unfinished_jobs()[0].id == job.id
    finished = store.finish_job_if_complete(job.id)
    assert finished.status == "done" and finished.finished_at is not None
    assert store.unfinished_jobs() == []
    with pytest.raises(NotFoundError):
        store.get_job("nope")
    with pytest.raises(StoreError, match="job status"):
        store.set_job_status(job.id, "paused")  # type: ignore[arg-type]


def test_a_job_survives_a_restart_and_resumes(db_url: str) -> None:
    s1 = open_store(db_url)
    job = s1.create_job({"force": False}, [f"r{i}.pdf" for i in range(4)])
    one = s1.claim_next_item(job.id, worker="pid-1")
    assert one is not None
    s1.finish_item(one.id)
    s1.claim_next_item(job.id, worker="pid-1")  # then the process dies with this item running
    s1.close()

    s2 = open_store(db_url)
    assert [j.id for j in s2.unfinished_jobs()] == [job.id]
    assert s2.requeue_running(job.id, older_than=timedelta(hours=1)) == 0  # too fresh for a heartbeat sweep
    assert s2.requeue_running(job.id) == 1
    stolen = s2.claim_next_item(job.id, worker="pid-2")
    assert stolen is not None and stolen.file_name == "r1.pdf"
    with pytest.raises(StoreError, match="claimed by 'pid-2'"):  # the dead worker's late answer is refused
        s2.finish_item(stolen.id, worker="pid-1")
    s2.fail_item(stolen.id, "retry after a restart", retry=True, worker="pid-2")
    names = []
    while (item := s2.claim_next_item(job.id, worker="pid-2")) is not None:
        names.append((item.file_name, item.attempts))
        s2.finish_item(item.id)
    assert names == [("r1.pdf", 3), ("r2.pdf", 1), ("r3.pdf", 1)]  # nothing lost, nothing done twice
    assert s2.finish_job_if_complete(job.id).counts.done == 4
    s2.close()


def test_a_workers_answer_is_saved_and_its_item_finished_in_one_step(store: Store) -> None:
    """What a batch's parent does per file: the Result JSON a worker wrote, stored as save_extraction would
    store it, the item done — and nothing when the item is no longer that worker's."""
    doc = store.add_document(b"a report", "a.pdf")
    other = store.add_document(b"another report", "b.pdf")
    job = store.create_job({}, [NewJobItem(file_name="x/a.pdf", document_id=doc.id, document_sha=doc.sha256),
                                NewJobItem(file_name="b.pdf", document_id=other.id, document_sha=other.sha256)])
    item = store.claim_next_item(job.id, worker="w1")
    assert item is not None
    answer = make_result({K_TOTAL: 5, K_OPEN: None}, findings=[SUM_FINDING, PROSE_FINDING])
    assert store.save_job_result(item.id, "w2", answer.model_dump_json(), name="a.pdf", created_by="b") is None
    ext = store.save_job_result(item.id, "w1", answer.model_dump_json(), name="a.pdf", created_by="batch:1")
    assert ext is not None
    done = store.get_job_item(item.id)
    assert (done.status, done.extraction_id, done.error) == ("done", ext, None)
    assert store.save_job_result(item.id, "w1", answer.model_dump_json(), name="a.pdf", created_by="b") is None
    saved = store.get_extraction(ext)
    assert (saved.version, saved.created_by, saved.n_error, saved.n_warning) == (1, "batch:1", 1, 1)
    assert saved.result.values[K_TOTAL].value == 5 and saved.result.values[K_OPEN].value is None
    assert (saved.result.document.sha256, saved.result.document.name) == (doc.sha256, "a.pdf")
    again = store.save_extraction(doc.id, answer, created_by="batch:1")  # the same answer the pydantic way
    assert store.get_extraction(again).result.model_dump(exclude={"document"}) == \
        saved.result.model_dump(exclude={"document"})
    second = store.claim_next_item(job.id, worker="w1")
    assert second is not None
    wrong = make_result({K_TOTAL: 1}).model_copy(update={"document": saved.result.document})  # other bytes
    with pytest.raises(StoreError, match="result is for"):
        store.save_job_result(second.id, "w1", wrong.model_dump_json(), name="b.pdf", created_by="b")
    assert store.get_job_item(second.id).status == "running"  # nothing of it kept


def test_many_answers_are_saved_in_one_transaction_each_alone_refused_or_left(store: Store) -> None:
    """What a batch's parent does every fraction of a second: the answers its workers prepared, saved at once;
    one for other bytes is refused alone, one for an item another worker took is left to that worker."""
    from extractor.store import JobAnswer, StoredResult

    docs = [store.add_document(f"report {i}".encode(), f"r{i}.pdf") for i in range(4)]
    job = store.create_job({}, [NewJobItem(file_name=f"in/r{i}.pdf", document_id=d.id) for i, d in enumerate(docs)])
    items = store.claim_next_items(job.id, 4, worker="w1")
    store.requeue_running(job.id, workers={"w1"})
    (taken,) = store.claim_next_items(job.id, 1, worker="w2")  # r0 now belongs to w2
    for it in items[1:]:
        store.claim_next_items(job.id, 1, worker="w1")

    def answer(i: int, total: int, sha: str) -> StoredResult:
        r = make_result({K_TOTAL: total, K_OPEN: None}, findings=[SUM_FINDING])
        return StoredResult.of(r.model_copy(update={"document": r.document.model_copy(update={
            "sha256": sha, "name": f"in/r{i}.pdf", "type": "pdf", "size": 8})}))

    answers = [JobAnswer(items[0].id, answer(0, 1, docs[0].sha256), "batch:1"),
               JobAnswer(items[1].id, answer(1, 11, docs[1].sha256), "batch:1"),
               JobAnswer(items[2].id, answer(2, 12, docs[3].sha256), "batch:1"),  # another file's bytes
               JobAnswer(items[3].id, answer(3, 13, docs[3].sha256), "batch:1")]
    saved = store.save_job_results("w1", answers)
    assert [(a.item_id, a.extraction_id is not None, a.error) for a in saved] == [
        (items[0].id, False, None), (items[1].id, True, None), (items[2].id, False, saved[2].error),
        (items[3].id, True, None)]
    assert saved[2].error is not None and saved[2].error.startswith("result is for")
    assert taken.id == items[0].id and store.get_job_item(taken.id).status == "running"  # w2's to answer
    assert store.get_job_item(items[2].id).status == "running"  # the parent fails it (batch.py)
    for i in (1, 3):
        done = store.get_job_item(items[i].id)
        ext = store.get_extraction(saved[i].extraction_id)
        assert (done.status, done.extraction_id) == ("done", ext.id)
        assert (ext.version, ext.created_by, ext.n_error, ext.template) == (1, "batch:1", 1, "2021")
        assert ext.values == {K_TOTAL: 10 + i, K_OPEN: None} and ext.result.values[K_TOTAL].value == 10 + i
        assert ext.result.document.name == f"in/r{i}.pdf"
    assert store.save_job_results("w1", answers[1:2]) == [type(saved[1])(items[1].id)]  # done: never twice


def test_idle_workers_are_filled_by_one_claim_never_two_items_of_one_document(store: Store) -> None:
    a = store.add_document(b"report a", "a.pdf")
    b = store.add_document(b"report b", "b.pdf")
    first = store.create_job({}, [NewJobItem(file_name="a.pdf", document_id=a.id)])
    second = store.create_job({}, [NewJobItem(file_name="a again.pdf", document_id=a.id),
                                   NewJobItem(file_name="b.pdf", document_id=b.id), "c.pdf"])
    got = store.claim_next_items(None, 3, worker="w")
    assert [i.file_name for i in got] == ["a.pdf", "b.pdf", "c.pdf"]  # "a again.pdf" waits for a.pdf
    assert {i.status for i in got} == {"running"} and {i.attempts for i in got} == {1}
    assert store.get_job(first.id).status == store.get_job(second.id).status == "running"
    assert store.claim_next_items(None, 3, worker="w") == []
    store.finish_item(got[0].id, worker="w")
    assert [i.file_name for i in store.claim_next_items(second.id, 5, worker="w")] == ["a again.pdf"]


def test_claim_from_any_job_skips_cancelled_jobs(store: Store) -> None:
    cancelled = store.create_job({}, ["c.pdf"])
    live = store.create_job({}, ["l.pdf"])
    store.set_job_status(cancelled.id, "cancelled")
    item = store.claim_next_item(worker="api")
    assert item is not None and (item.job_id, item.file_name) == (live.id, "l.pdf")
    assert store.claim_next_item(worker="api") is None
    store.touch_items([item.id])
    assert store.get_job_item(item.id).updated_at >= item.updated_at


def test_a_heartbeat_touches_the_running_items_only_in_one_call(store: Store) -> None:
    import time

    job = store.create_job({}, ["a.pdf", "b.pdf", "c.pdf"])
    claimed = store.claim_next_items(job.id, 2, worker="w")
    waiting = [it for it in store.job_items(job.id) if it.status == "queued"]
    assert len(claimed) == 2 and len(waiting) == 1
    time.sleep(0.01)
    store.touch_items([it.id for it in claimed + waiting])
    after = {it.id: it for it in store.job_items(job.id)}
    assert all(after[it.id].updated_at > it.updated_at for it in claimed)
    assert after[waiting[0].id].updated_at == waiting[0].updated_at  # a queued item has no heartbeat
    store.touch_items([])  # nothing in flight: no transaction at all


def _claim_all(store: Store, job_id: str, worker: str, out: list[int]) -> None:
    while (item := store.claim_next_item(job_id, worker=worker)) is not None:
        out.append(item.id)
        store.finish_item(item.id)


def test_two_threads_never_claim_the_same_item(store: Store) -> None:
    job = store.create_job({}, [f"f{i}.pdf" for i in range(60)])
    got: dict[str, list[int]] = {"t1": [], "t2": [], "t3": []}
    threads = [threading.Thread(target=_claim_all, args=(store, job.id, w, got[w])) for w in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for ids in got.values() for i in ids]
    assert len(claimed) == len(set(claimed)) == 60
    items = store.job_items(job.id)
    assert {i.status for i in items} == {"done"} and {i.attempts for i in items} == {1}
    assert {i.worker for i in items} <= set(got)


def _claim_in_process(url: str, job_id: str, worker: str, queue: multiprocessing.Queue[tuple[str, list[int]]]) -> None:
    store = open_store(url)
    out: list[int] = []
    _claim_all(store, job_id, worker, out)
    store.close()
    queue.put((worker, out))


@pytest.mark.slow
def test_two_processes_never_claim_the_same_item(store: Store, db_url: str) -> None:
    job = store.create_job({}, [f"p{i}.pdf" for i in range(40)])
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_claim_in_process, args=(db_url, job.id, f"proc{n}", queue)) for n in range(2)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    claimed = results["proc0"] + results["proc1"]
    assert len(claimed) == len(set(claimed)) == 40
    assert {i.status for i in store.job_items(job.id)} == {"done"}


# -- OpenAI Batch API bookkeeping ------------------------------------------------------------------------
def test_llm_batches_are_tracked_across_a_restart(db_url: str) -> None:
    s1 = open_store(db_url)
    job = s1.create_job({"llm_batch_api": True})
    reqs = {"12:2021:t3": "9f2c" * 16, "12:2021:t4": "a1b2" * 16}
    row = s1.create_llm_batch(reqs, job_id=job.id, input_file_id="file-abc", meta={"model": "gpt-4o-mini"})
    assert (row.status, row.batch_id, row.requests) == ("created", None, reqs)
    row = s1.update_llm_batch(row.id, batch_id="batch_123", status="validating")
    s1.close()

    s2 = open_store(db_url)
    assert [b.batch_id for b in s2.open_llm_batches(job.id)] == ["batch_123"]
    found = s2.find_llm_batch("batch_123")
    assert found is not None and found.requests == reqs and found.input_file_id == "file-abc"
    done = s2.update_llm_batch(found.id, status="processed", output_file_id="file-out", meta={"failed": 1})
    assert (done.status, done.output_file_id, done.meta) == ("processed", "file-out",
                                                             {"model": "gpt-4o-mini", "failed": 1})
    assert done.batch_id == "batch_123" and done.updated_at >= found.updated_at
    assert s2.open_llm_batches() == []
    with pytest.raises(NotFoundError):
        s2.get_llm_batch(999)
    s2.close()


def test_current_values_many_matches_current_values_one_by_one(store: Store) -> None:
    a, _ = add_report(store, b"report-a", {K_TOTAL: 10, K_PERSON: 4})
    b, _ = add_report(store, b"report-b", {K_TOTAL: 7, K_PERSON: None})
    store.record_edit(a, K_TOTAL, 11, reason="misread", who="张三")
    store.record_edit(a, K_TOTAL, 12, reason="again", who="张三")  # the last edit wins
    store.record_edit(b, K_PERSON, 3, reason="filled", who="张三")
    store.save_extraction(b, make_result({K_TOTAL: 8, K_PERSON: None}), created_by="test")  # a newer version
    every = store.current_values_many()
    assert every == {a: store.current_values(a), b: store.current_values(b)}
    assert every[a] == {K_TOTAL: 12, K_PERSON: 4}
    assert every[b] == {K_TOTAL: 8, K_PERSON: 3}
    assert store.current_values_many([b]) == {b: every[b]}
    assert store.current_values_many([]) == {}


def test_a_live_cross_year_finding_can_be_decided_but_an_unknown_stored_one_cannot(store: Store) -> None:
    doc, _ = add_report(store, b"report-live", {K_TOTAL: 10})
    keys = ["t3.上年结转.总计", "上年报告:t3.结转下年度.总计"]
    with pytest.raises(StoreError, match="has no finding"):
        store.decide_finding(doc, "years.t3_carry_over", keys, "dismissed", who="张三", reason="机构改革")
    row = store.decide_finding(doc, "years.t3_carry_over", keys, "dismissed", who="张三", reason="机构改革",
                               live=True)
    assert row.keys == sorted(keys) and row.reason == "机构改革"
    assert store.finding_decisions(doc)[finding_key("years.t3_carry_over", keys)].decision == "dismissed"


def test_text_sketches_come_back_exactly_from_the_databases_json(store: Store) -> None:
    from schemas.results import DocumentInfo

    sketch = [1, 2**40 + 7, 2**62 + 12345, 2**63 - 1]  # the largest 63-bit hash too: no rounding to a float
    doc = store.add_document(b"sketched", "s.pdf")
    store.save_extraction(doc.id, make_result({K_TOTAL: 1}).model_copy(
        update={"document": DocumentInfo(text_sketch=sketch)}))
    bare = store.add_document(b"no sketch", "n.pdf")
    store.save_extraction(bare.id, make_result({K_TOTAL: 2}))
    assert store.text_sketches() == {doc.id: sketch, bare.id: []}
    assert store.text_sketches([bare.id]) == {bare.id: []}



def test_sketch_arrays_lay_every_sketch_end_to_end_newest_first_leaving_out_none_and_damaged(store: Store) -> None:
    from schemas.results import DocumentInfo

    def sketched(data: bytes, sketch: list, agency: str) -> int:
        doc = store.add_document(data, data.decode() + ".pdf")
        result = make_result({K_TOTAL: 1})
        store.save_extraction(doc.id, result.model_copy(update={
            "document": DocumentInfo(text_sketch=sketch), "meta": result.meta.model_copy(update={"agency": agency})}))
        return doc.id

    first = sketched(b"one", [30, 10, 2**63 - 1], "甲局")
    sketched(b"none", [], "乙局")
    third = sketched(b"three", [5, 6], "丙局")
    got = store.sketch_arrays()
    assert got.document_ids == [third, first]  # newest upload first; no sketch: left out
    assert got.agencies == ["丙局", "甲局"]
    assert list(got.flat) == [5, 6, 10, 30, 2**63 - 1] and list(got.lengths) == [2, 3]  # each ascending, exact
