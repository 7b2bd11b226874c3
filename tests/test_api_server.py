"""``xxgk serve`` against a real uvicorn on loopback (SQLite and PostgreSQL): uploads, progress, results,
exports, a server killed half-way and restarted, concurrent uploads, the API key, limits, the OpenAPI spec."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from tests import requirements

requirements.package("fastapi", "api", module_level=True)
requirements.package("sqlalchemy", "store", module_level=True)

import httpx

from extractor import extract
from extractor.store import open_store
from tests.conftest import FIXTURES, ROOT, SEED_TXT

KEY = "test-key-" + uuid.uuid4().hex[:8]
GEN = FIXTURES / "generated"
GOOD = [SEED_TXT, FIXTURES / "text" / "2022-2021format.md", GEN / "gen2019-s11-html.html",
        GEN / "gen2019-s12-docx.docx", GEN / "gen2019-s14-layout.txt", GEN / "gen2021-s22-docx.docx",
        GEN / "gen2021-s23-t4.group_total-md.md", GEN / "gen2021-s26-blank-cells.txt"]




def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``xxgk serve`` as a subprocess on a free loopback port."""

    def __init__(self, db: str, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "extractor.cli", "serve", "--port", str(self.port), "--db", db, "--workers", "2",
             *extra], cwd=ROOT, env={**os.environ, "XXGK_API_KEY": KEY, "XXGK_LOG_LEVEL": "warning", **(env or {})},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.proc.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("the server did not start within 60 s")
        self.client = httpx.Client(base_url=self.url, headers={"X-API-Key": KEY}, timeout=60)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if hasattr(self, "client"):
            self.client.close()

    def wait_done(self, job_id: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.client.get(f"/jobs/{job_id}").json()
            if job["status"] in ("done", "failed", "cancelled"):
                return job
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} not finished in {timeout} s: {job}")


def mixed_upload(tmp_path: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Five good files, a zip (three good, a duplicate), an exact duplicate, an empty file, a corrupt PDF, a non-report."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in GOOD[5:]:
            zf.write(p, f"2021/{p.name}")
        zf.write(GEN / "gen2019-s12-docx.docx", "dup.docx")
    files = [(p.name, p.read_bytes()) for p in GOOD[:5]]
    files += [("more.zip", buf.getvalue()), ("copy-of-seed.txt", SEED_TXT.read_bytes()), ("empty.pdf", b""),
              ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog garbage\n%%EOF"),
              ("travel.txt", "今天天气很好。这是一篇游记，写的是春天去西湖看花。\n".encode())]
    return [("files", (name, data, "application/octet-stream")) for name, data in files]


def assert_once_each(db: str, n_docs_with_results: int) -> None:
    s = open_store(db)
    try:
        counts = [len(s.extractions(d.id)) for d in s.list_documents()]
        assert sorted(c for c in counts if c) == [1] * n_docs_with_results, counts  # nothing done twice
    finally:
        s.close()


@pytest.mark.slow
def test_api_batch_of_a_mixed_upload_with_real_uvicorn(db_url: str, tmp_path: Path) -> None:
    server = Server(db_url)
    try:
        c = server.client
        assert httpx.get(server.url + "/health").json()["database"] in ("sqlite", "postgresql")
        assert httpx.post(server.url + "/jobs", files=mixed_upload(tmp_path)).status_code == 401
        assert httpx.get(server.url + "/jobs", headers={"X-API-Key": "wrong"}).json()["error"] == "unauthorized"

        r = c.post("/jobs", files=mixed_upload(tmp_path))
        assert r.status_code == 201, r.text
        job = server.wait_done(r.json()["id"])
        assert job["counts"] == {"total": 13, "queued": 0, "running": 0, "done": 8, "failed": 3, "skipped": 2}
        assert job["duplicates"] == 2
        reasons = {f["file"]: f["reason"] for f in job["failures"]}
        assert set(reasons) == {"empty.pdf", "broken.pdf", "travel.txt"}
        assert reasons["empty.pdf"].startswith("文件为空") and reasons["travel.txt"].startswith("不是政府信息公开")
        assert job["findings_by_rule"]["old.channels_upper"] == 1

        items = c.get(f"/jobs/{job['id']}/items").json()["items"]
        seed_item = next(it for it in items if it["file_name"] == SEED_TXT.name)
        result = c.get(f"/documents/{seed_item['document_id']}/result").json()
        assert result["values"]["old.主动公开数"]["value"] == 42658 and result["meta"]["template"] == "2008"
        assert c.get("/documents/999999/result").status_code == 404

        rows = list(csv.DictReader(io.StringIO(c.get(f"/jobs/{job['id']}/exports/csv").content.decode("utf-8-sig"))))
        assert len(rows) == 8
        by_name = {row["file"].rsplit("!", 1)[-1].rsplit("/", 1)[-1]: row for row in rows}
        blank = extract(GEN / "gen2021-s26-blank-cells.txt")
        for key, v in blank.values.items():
            assert by_name["gen2021-s26-blank-cells.txt"][key] == ("" if v.value is None else str(v.value))
        jsonl = c.get(f"/jobs/{job['id']}/exports/jsonl").text.splitlines()
        assert len(jsonl) == 8 and {json.loads(x)["document"]["sha256"] for x in jsonl} == {
            it["document_sha"] for it in items if it["status"] == "done"}
        xlsx = c.get(f"/jobs/{job['id']}/exports/xlsx", params={"labels": True})
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats") and xlsx.content[:2] == b"PK"
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(c.get(f"/jobs/{job['id']}/exports/parquet").content))
        assert table.num_rows == 8
        findings = c.get(f"/jobs/{job['id']}/exports/findings").content.decode("utf-8-sig").splitlines()
        assert len(findings) - 1 == sum(job["findings_by_rule"].values())
        assert c.get(f"/jobs/{job['id']}/exports/pdf").status_code == 422
        assert c.get("/jobs/nope").status_code == 404
    finally:
        server.stop()
    assert_once_each(db_url, 8)


@pytest.mark.slow
def test_api_server_killed_half_way_resumes_after_restart_with_real_uvicorn(db_url: str, tmp_path: Path) -> None:
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in GOOD]
    server = Server(db_url, "--stale-after", "2", env={"XXGK_TEST_ITEM_DELAY": "0.7"})
    try:
        job_id = server.client.post("/jobs", files=files).json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = server.client.get(f"/jobs/{job_id}").json()["counts"]["done"]
            if done >= 2:
                break
            time.sleep(0.1)
    finally:
        server.stop(signal.SIGKILL)
    assert 2 <= done < len(GOOD)
    s = open_store(db_url)
    try:
        assert s.get_job(job_id).counts.done < len(GOOD)
    finally:
        s.close()
    again = Server(db_url, "--stale-after", "2")
    try:
        job = again.wait_done(job_id)
        assert job["counts"]["done"] == len(GOOD) and job["counts"]["failed"] == 0
    finally:
        again.stop()
    assert_once_each(db_url, len(GOOD))


@pytest.mark.slow
def test_concurrent_uploads_and_polls_never_mix_jobs_with_real_uvicorn(db_url: str) -> None:
    server = Server(db_url)
    groups = [GOOD[0:2], GOOD[2:4], GOOD[4:6], GOOD[6:8]]
    ids: list[str | None] = [None] * len(groups)
    errors: list[str] = []

    def upload(i: int) -> None:
        try:
            with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=60) as c:
                r = c.post("/jobs", files=[("files", (p.name, p.read_bytes(), "text/plain")) for p in groups[i]])
                ids[i] = r.json()["id"]
                for _ in range(5):
                    c.get(f"/jobs/{ids[i]}").raise_for_status()
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(repr(err))

    try:
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(groups))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        for i, job_id in enumerate(ids):
            assert job_id is not None
            job = server.wait_done(job_id)
            assert job["counts"]["done"] == 2 and job["counts"]["total"] == 2
            names = {it["file_name"] for it in server.client.get(f"/jobs/{job_id}/items").json()["items"]}
            assert names == {p.name for p in groups[i]}
    finally:
        server.stop()
    assert_once_each(db_url, len(GOOD))


# -- in-process checks (no server needed) ---------------------------------------------------------------
def test_upload_limits_answer_413_with_a_clear_json_error(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from extractor.api_server import create_app

    app = create_app(str(tmp_path / "x.sqlite"), KEY, max_files=2, max_file_bytes=1000, max_request_bytes=5000,
                     run_worker=False)
    with TestClient(app, headers={"X-API-Key": KEY}) as c:
        three = [("files", (f"{i}.txt", b"x", "text/plain")) for i in range(3)]
        r = c.post("/jobs", files=three)
        assert r.status_code == 413 and r.json()["error"] == "too_many_files" and r.json()["limit"] == 2
        r = c.post("/jobs", files=[("files", ("big.txt", b"x" * 1001, "text/plain"))])
        assert r.status_code == 413 and r.json()["error"] == "too_large" and "big.txt" in r.json()["message"]
        r = c.post("/jobs", files=[("files", ("huge.txt", b"x" * 6000, "text/plain"))])
        assert r.status_code == 413 and r.json()["limit"] == 5000
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for i in range(3):
                zf.writestr(f"{i}.txt", b"x")
        r = c.post("/jobs", files=[("files", ("a.zip", buf.getvalue(), "application/zip"))])
        assert r.status_code == 413 and r.json()["error"] == "too_many_files"
        # the batch's intake: an archive is known by its bytes too, not only by a .zip name
        r = c.post("/jobs", files=[("files", ("bundle.dat", buf.getvalue(), "application/octet-stream"))])
        assert r.status_code == 413 and r.json()["error"] == "too_many_files"
        report = "政府信息公开工作年度报告".encode()  # a byte of text is refused at intake: too short for a report
        ok = c.post("/jobs", files=[("files", ("a.txt", report, "text/plain"))])
        assert ok.status_code == 201 and ok.json()["counts"]["queued"] == 1


def test_committed_openapi_spec_is_the_apps_spec() -> None:
    from extractor.api_server import OPENAPI_PATH, create_app, openapi_json

    committed = OPENAPI_PATH.read_text(encoding="utf-8")
    assert committed == openapi_json(create_app(run_worker=False)), \
        "docs/openapi.json is stale: run `xxgk serve --write-openapi docs/openapi.json`"
    spec = json.loads(committed)
    assert {"/health", "/jobs", "/jobs/{job_id}", "/jobs/{job_id}/exports/{kind}",
            "/documents/{document_id}/result"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "security" not in spec["paths"]["/health"]["get"]
    assert spec["paths"]["/jobs"]["post"]["security"] == [{"APIKeyHeader": []}]


def test_served_openapi_matches_the_committed_file(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from extractor.api_server import OPENAPI_PATH, create_app

    with TestClient(create_app(str(tmp_path / "x.sqlite"), KEY, run_worker=False)) as c:
        assert c.get("/openapi.json").json() == json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def test_serve_refuses_to_start_without_a_key_or_without_auth_off_loopback() -> None:
    env = {k: v for k, v in os.environ.items() if k != "XXGK_API_KEY"}
    r = subprocess.run([sys.executable, "-m", "extractor.cli", "serve", "--port", str(free_port())], cwd=ROOT,
                       env=env, capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 2 and "no API key" in r.stderr
    r = subprocess.run([sys.executable, "-m", "extractor.cli", "serve", "--host", "0.0.0.0", "--no-auth"], cwd=ROOT,
                       env=env, capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 2 and "loopback" in r.stderr


def test_years_endpoint_checks_the_stores_reports_year_against_year(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from extractor.api_server import create_app
    from schemas.results import DocumentInfo, ReportMeta, Result, Value

    db = str(tmp_path / "x.sqlite")
    with open_store(db) as store:
        for name, agency, year, carried, carry_on in (("a2021.pdf", "甲区人民政府", 2021, 0, 3),
                                                      ("a2022.pdf", "甲区人民政府", 2022, 4, 0),
                                                      ("b2021.pdf", "乙局", 2021, 0, 0)):
            values = {k: Value(key=k, value=n, raw=str(n))
                      for k, n in (("t3.上年结转.总计", carried), ("t3.结转下年度.总计", carry_on))}
            doc = store.add_document(name.encode(), name)
            store.save_extraction(doc.id, Result(document=DocumentInfo(name=name), values=values,
                                                 meta=ReportMeta(agency=agency, year=year, template="2021")))
    with TestClient(create_app(db, KEY, run_worker=False), headers={"X-API-Key": KEY}) as c:
        body = c.get("/years").json()
        assert [(p["previous"]["file"], p["current"]["file"]) for p in body["pairs"]] == [("a2021.pdf", "a2022.pdf")]
        assert [(f["rule"], f["actual"], f["expected"]) for f in body["pairs"][0]["findings"]] == [
            ("years.t3_carry_over", 4, 3)]
        assert [u["file"] for u in body["unpaired"]] == ["b2021.pdf"]
        assert c.get("/years", params={"agency": "乙局"}).json()["pairs"] == []
        rows = list(csv.DictReader(io.StringIO(c.get("/years", params={"format": "csv"}).text)))
        assert [(r["file"], r["rule"]) for r in rows] == [("a2022.pdf", "years.t3_carry_over")]
        assert c.get("/years", headers={"X-API-Key": "wrong"}).status_code == 401


def test_confirmed_endpoint_gives_the_reviewers_values_as_json_and_as_files(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from extractor.api_server import create_app
    from schemas.results import DocumentInfo, ReportMeta, Result, Value

    db = str(tmp_path / "x.sqlite")
    with open_store(db) as store:
        ids = []
        for name, agency, n in (("a.pdf", "甲区人民政府", 5), ("b.pdf", "乙局", 7)):
            doc = store.add_document(name.encode(), name)
            store.save_extraction(doc.id, Result(document=DocumentInfo(name=name), meta=ReportMeta(
                agency=agency, year=2023, template="2021"), values={"t3.本年新收.总计": Value(
                    key="t3.本年新收.总计", value=n, raw=str(n))}))
            ids.append(doc.id)
        store.record_edit(ids[0], "t3.本年新收.总计", 6, reason="核对", who="张三")
        store.set_review_state(ids[0], "confirmed", who="张三")  # b.pdf stays pending: not in the data
    with TestClient(create_app(db, KEY, run_worker=False), headers={"X-API-Key": KEY}) as c:
        (only,) = c.get("/confirmed").json()
        assert (only["document_id"], only["name"], only["reviewer"]) == (ids[0], "a.pdf", "张三")
        assert only["values"] == {"t3.本年新收.总计": 6}
        assert c.get("/confirmed", params={"agency": "乙局"}).json() == []
        got = c.get("/confirmed", params={"format": "csv", "labels": "true"})
        assert got.headers["content-type"].startswith("text/csv")
        assert "xxgk-confirmed.csv" in got.headers["content-disposition"]
        (header, row) = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert dict(zip(header, row, strict=True))["审核人"] == "张三"
        assert c.get("/confirmed", params={"format": "xlsx"}).content[:2] == b"PK"
        assert c.get("/confirmed", params={"format": "jsonl"}).status_code == 422
        assert c.get("/confirmed", headers={"X-API-Key": "wrong"}).status_code == 401
