"""The OpenAI Batch API path: request lines, output parsing, and the upload/submit/poll/download flow
against ``FakeBatchServer``, a loopback stand-in for OpenAI's Files and Batches endpoints (a real batch
cannot run here), driven by the real ``openai`` client."""

from __future__ import annotations

import csv
import email.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests import requirements

requirements.package("openai", "llm", module_level=True)
requirements.package("instructor", "llm", module_level=True)
requirements.package("sqlalchemy", "store", module_level=True)

from extractor import extract
from extractor.api import read_document
from extractor.batch import start_job
from extractor.llm.batch_api import (
    CHAT_URL,
    BatchPending,
    apply,
    document_requests,
    jsonl,
    parse_output,
    request_hash,
    run_batch_api,
    validate_reply,
)
from extractor.llm.chunks import RowChunk
from extractor.llm.config import LLMConfig
from extractor.llm.extractor import LLMExtractor
from extractor.store import open_store
from tests.conftest import FIXTURES, ROOT
from tests.fake_openai import FakeOpenAIServer, copy_row, every_cell
from tests.loopback import LoopbackServer

GEN = FIXTURES / "generated"
DOCS = [GEN / "gen2021-s24-layout.txt", GEN / "gen2019-s11-html.html"]


# -- the fake Files + Batches server --------------------------------------------------------------------
class FakeBatchServer(LoopbackServer):
    """OpenAI's /files, /batches and /chat/completions on loopback, answering like a careful reader.

    ``sabotage`` maps a custom_id to how its batch line goes wrong: ``error`` (an error object in the
    error file), ``http500`` (a 500 response line in the error file), ``invalid`` (not JSON), ``invent``
    (a number the row does not print), ``drop`` (no line at all). A batch completes on the
    ``polls``-th retrieve. Synchronous chat calls (the fallback) are answered correctly and recorded.
    """

    def __init__(self, sabotage: dict[str, str] | None = None, polls: int = 2,
                 answer: Callable[[dict[str, Any]], dict[str, Any]] = copy_row) -> None:
        self.sabotage = dict(sabotage or {})
        self.polls = polls
        self.answer = answer
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.retrieves: dict[str, int] = {}
        self.chat_requests: list[dict[str, Any]] = []
        self.batch_creates: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def do_POST(self) -> None:
                with server._lock:
                    if self.path == "/v1/files":
                        return server._send(self, 200, server._upload(self.headers["Content-Type"], self._body()))
                    if self.path == "/v1/batches":
                        return server._send(self, 200, server._create(json.loads(self._body())))
                    if self.path == "/v1/chat/completions":
                        body = json.loads(self._body())
                        server.chat_requests.append(body)
                        return server._send(self, 200, server._completion(body, server.answer(body)))
                return server._send(self, 404, {"error": {"message": "no route", "type": "invalid_request_error"}})

            def do_GET(self) -> None:
                with server._lock:
                    m = re.fullmatch(r"/v1/batches/([\w-]+)", self.path)
                    if m and m.group(1) in server.batches:
                        return server._send(self, 200, server._retrieve(m.group(1)))
                    m = re.fullmatch(r"/v1/files/([\w-]+)/content", self.path)
                    if m and m.group(1) in server.files:
                        data = server.files[m.group(1)]["data"]
                        self.send_response(200)
                        self.send_header("Content-Type", "application/octet-stream")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                        return None
                return server._send(self, 404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        self._serve(Handler)

    # -- endpoints
    def _file(self, data: bytes, name: str, purpose: str) -> dict[str, Any]:
        fid = f"file-{len(self.files) + 1:04d}"
        self.files[fid] = {"data": data, "filename": name, "purpose": purpose}
        return {"id": fid, "object": "file", "bytes": len(data), "created_at": 1711471533, "filename": name,
                "purpose": purpose, "status": "processed"}

    def _upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        msg = email.parser.BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        fields: dict[str, Any] = {}
        name = ""
        for part in msg.get_payload():
            key = part.get_param("name", header="content-disposition")
            if part.get_filename():
                name = part.get_filename()
            fields[key] = part.get_payload(decode=True)
        return self._file(fields["file"], name, fields["purpose"].decode())

    def _create(self, req: dict[str, Any]) -> dict[str, Any]:
        self.batch_creates.append(req)
        bid = f"batch_{len(self.batches) + 1:04d}"
        self.batches[bid] = {"id": bid, "object": "batch", "endpoint": req["endpoint"], "errors": None,
                             "input_file_id": req["input_file_id"], "completion_window": req["completion_window"],
                             "status": "validating", "output_file_id": None, "error_file_id": None,
                             "created_at": 1711471533, "metadata": req.get("metadata"),
                             "request_counts": {"total": 0, "completed": 0, "failed": 0}}
        self.retrieves[bid] = 0
        return self.batches[bid]

    def _retrieve(self, bid: str) -> dict[str, Any]:
        b = self.batches[bid]
        self.retrieves[bid] += 1
        if b["status"] != "completed":
            if self.retrieves[bid] >= self.polls:
                self._run(b)
            else:
                b["status"] = "in_progress"
        return b

    def _run(self, b: dict[str, Any]) -> None:
        out, err = [], []
        lines = [json.loads(x) for x in self.files[b["input_file_id"]]["data"].decode().splitlines()]
        for n, line in enumerate(lines):
            cid, body = line["custom_id"], line["body"]
            kind = self.sabotage.get(cid)
            rid = f"batch_req_{n:05d}"
            if kind == "drop":
                continue
            if kind == "error":
                err.append({"id": rid, "custom_id": cid, "response": None,
                            "error": {"code": "batch_expired", "message": "This request could not be executed."}})
                continue
            if kind == "http500":
                err.append({"id": rid, "custom_id": cid, "error": None, "response": {
                    "status_code": 500, "request_id": f"req_{n}",
                    "body": {"error": {"message": "The server had an error", "type": "server_error"}}}})
                continue
            answer = self.answer(body)
            content = None
            if kind == "invalid":
                content = "{numbers: twelve, 3"
            elif kind == "invent":
                answer = dict.fromkeys(answer, 987654)
            out.append({"id": rid, "custom_id": cid, "error": None, "response": {
                "status_code": 200, "request_id": f"req_{n}", "body": self._completion(body, answer, content)}})
        to_bytes = lambda rows: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        b["output_file_id"] = self._file(to_bytes(out), "batch_output.jsonl", "batch_output")["id"] if out else None
        b["error_file_id"] = self._file(to_bytes(err), "batch_errors.jsonl", "batch_output")["id"] if err else None
        b["status"] = "completed"
        b["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(err)}

    @staticmethod
    def _completion(body: dict[str, Any], answer: dict[str, Any], content: str | None = None) -> dict[str, Any]:
        text = content if content is not None else json.dumps(answer, ensure_ascii=False)
        return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1711471533,
                "model": body.get("model", "fake"), "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def cfg_for(url: str, cache_dir: Path, **kw: Any) -> LLMConfig:
    return LLMConfig(base_url=url, model="fake-model", api_key="test", cache=True, cache_dir=str(cache_dir), retries=0,
                     timeout=10.0, **kw)


@pytest.fixture
def job(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    src = tmp_path / "in"
    src.mkdir()
    for p in DOCS:
        shutil.copy(p, src / p.name)
    store = open_store(tmp_path / "x.sqlite")
    j, _ = start_job(store, [src], extractor="llm")
    yield store, j.id
    store.close()


# -- request building -----------------------------------------------------------------------------------
def test_batch_request_lines_are_the_synchronous_request_bodies_with_fake_server(tmp_path: Path) -> None:
    path = DOCS[0]
    with FakeOpenAIServer() as srv:
        cfg = LLMConfig(base_url=srv.base_url, model="fake-model", api_key="t", cache=False, retries=0, timeout=10.0)
        extract(path, extractor=LLMExtractor(cfg))
        sync = sorted(json.dumps(b, sort_keys=True, ensure_ascii=False) for b in srv.requests)
    doc, _ = read_document(path)
    reqs = document_requests(doc, 7, cfg)
    assert sorted(json.dumps(r.body, sort_keys=True, ensure_ascii=False) for r in reqs) == sync
    lines = [json.loads(x) for x in jsonl(reqs).decode().splitlines()]
    assert len(lines) == len(reqs) > 10
    assert any(isinstance(r.task, RowChunk) for r in reqs)  # one-number rows several to a request, as synchronously
    for line, r in zip(lines, reqs):
        assert set(line) == {"custom_id", "method", "url", "body"}
        assert line["method"] == "POST" and line["url"] == CHAT_URL == "/v1/chat/completions"
        assert re.fullmatch(r"7:2021:t[234]:\d+", line["custom_id"])
        assert line["body"]["model"] == "fake-model" and line["body"]["response_format"]["type"] == "json_schema"
        assert request_hash(line["body"]) == r.hash
    assert len({r.custom_id for r in reqs}) == len(reqs)
    assert {r.custom_id.split(":")[2] for r in reqs} == {"t2", "t3", "t4"}


# -- result parsing: lines exactly as OpenAI documents them -----------------------------------------------
OUTPUT_LINES = [
    {"id": "batch_req_123", "custom_id": "request-2", "response": {"status_code": 200, "request_id": "req_123", "body": {
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1711652795, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"数值\": [12, 15]}"},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24}, "system_fingerprint": "fp_123"}},
     "error": None},
    {"id": "batch_req_456", "custom_id": "request-1", "response": None,
     "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}},
    {"id": "batch_req_789", "custom_id": "request-3", "response": {"status_code": 400, "request_id": "req_789", "body": {
        "error": {"message": "Invalid 'max_tokens'", "type": "invalid_request_error", "param": "max_tokens",
                  "code": None}}}, "error": None},
    {"id": "batch_req_999", "custom_id": "request-4", "response": {"status_code": 200, "request_id": "req_999", "body": {
        "id": "chatcmpl-9", "object": "chat.completion", "created": 1711652795, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"数值\": [1"}, "logprobs": None,
                     "finish_reason": "length"}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35}}}, "error": None},
]


def test_output_and_error_lines_in_openai_format_are_parsed() -> None:
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in OUTPUT_LINES) + "\n\n"
    got = parse_output(text)
    assert set(got) == {"request-1", "request-2", "request-3", "request-4"}
    ok = got["request-2"]
    assert ok.content == "{\"数值\": [12, 15]}" and ok.error is None and ok.finish_reason == "stop"
    assert (ok.prompt_tokens, ok.completion_tokens) == (22, 2)
    assert got["request-1"].error.startswith("batch_expired: This request could not be executed")
    assert got["request-3"].error == "HTTP 400: Invalid 'max_tokens'"
    assert got["request-4"].finish_reason == "length"


def test_batch_answers_are_validated_like_synchronous_ones() -> None:
    doc, _ = read_document(DOCS[0])
    cfg = LLMConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key="t", cache=False)
    reqs = document_requests(doc, 1, cfg)
    req = next(r for r in reqs if r.task.table == "t3" and len(r.task.fields) == 7)
    good = copy_row(req.body)
    from extractor.llm.batch_api import Reply

    data, why = validate_reply(req, Reply(req.custom_id, content=json.dumps(good, ensure_ascii=False)))
    assert list(data.values()) == good["数值"] and list(data) == list(req.task.fields) and why == ""
    invented = every_cell(good, 987654)
    data, why = validate_reply(req, Reply(req.custom_id, content=json.dumps(invented)))
    assert data is None and why.startswith("invalid") and "987654" in why  # not printed in the row: rejected
    assert validate_reply(req, Reply(req.custom_id, content="{numbers: twelve"))[0] is None
    assert validate_reply(req, Reply(req.custom_id, content=json.dumps(good), finish_reason="length")) == (None,
                                                                                                          "truncated")
    assert validate_reply(req, None) == (None, "no answer")


# -- the flow against the fake server ---------------------------------------------------------------------
def test_upload_submit_poll_download_with_fake_server(job: tuple[Any, str], tmp_path: Path) -> None:
    store, job_id = job
    from collections import Counter

    from extractor.llm.batch_api import job_requests

    by_name = {it.file_name.rsplit("/", 1)[-1]: it.document_id for it in store.job_items(job_id)}
    doc_ids = sorted(by_name.values())
    with FakeBatchServer(polls=3) as srv:
        cfg = cfg_for(srv.base_url, tmp_path / "cache")
        # sabotage five rows whose request no other row shares (a shared one would share its cached answer)
        planned = [r for rs in job_requests(store, job_id, cfg).values() for r in rs]
        shared = Counter(r.cache_key for r in planned)
        unique = [r.custom_id for r in planned if shared[r.cache_key] == 1]
        picks = [unique[i * len(unique) // 5] for i in range(5)]
        sabotage = dict(zip(picks, ("error", "http500", "invalid", "invent", "drop")))
        assert {p.split(":")[0] for p in picks} == {str(d) for d in doc_ids}
        srv.sabotage = sabotage
        totals = run_batch_api(store, job_id, config=cfg, poll_seconds=0.01)
        # one upload for purpose "batch", one batch for the chat endpoint, polled until complete
        assert next(iter(srv.files.values()))["purpose"] == "batch"
        (create,) = srv.batch_creates
        assert create["endpoint"] == "/v1/chat/completions" and create["completion_window"] == "24h"
        assert create["metadata"]["xxgk_job"] == job_id
        uploaded = [json.loads(x) for x in srv.files[create["input_file_id"]]["data"].decode().splitlines()]
        (row,) = list(_all_batches(store, job_id))
        assert row.batch_id == "batch_0001" and row.status == "processed"
        assert row.requests == {u["custom_id"]: request_hash(u["body"]) for u in uploaded}
        assert totals["valid"] == len(uploaded) - 5 and totals["invalid"] == 4 and totals["missing"] == 1
        assert row.meta["openai_status"] == "completed" and row.meta["prompt_tokens"] == 100 * (len(uploaded) - 3)
        assert srv.chat_requests == []

        # the extraction takes the batch answers from the cache; the five failed rows are asked synchronously
        names = {it.document_id: it.file_name.rsplit("/", 1)[-1] for it in store.job_items(job_id)}
        for doc_id in doc_ids:
            path = GEN / names[doc_id]
            via_batch = extract(path, extractor=LLMExtractor(cfg))
            reader = extract(path)
            assert via_batch.flat() == {k: v for k, v in reader.flat().items() if k in via_batch.values}
            assert len(via_batch.values) >= 150
        dump = lambda b: json.dumps(b, sort_keys=True, ensure_ascii=False)
        expected = sorted(dump(u["body"]) for u in uploaded if u["custom_id"] in sabotage)
        assert sorted(dump(b) for b in srv.chat_requests) == expected and len(expected) == 5


def _all_batches(store: Any, job_id: str) -> list[Any]:
    return store.llm_batches(job_id)


def test_polling_survives_a_restart_with_fake_server(job: tuple[Any, str], tmp_path: Path) -> None:
    store, job_id = job
    with FakeBatchServer(polls=3) as srv:
        cfg = cfg_for(srv.base_url, tmp_path / "cache")
        with pytest.raises(BatchPending):
            run_batch_api(store, job_id, config=cfg, poll_seconds=0.01, max_wait=0)
        (pending,) = store.open_llm_batches(job_id)
        assert pending.batch_id == "batch_0001" and pending.status == "in_progress"
        url = store.engine.url.render_as_string(hide_password=False)
        store.close()
        reopened = open_store(url)  # a new process would see exactly this
        try:
            totals = run_batch_api(reopened, job_id, config=cfg, poll_seconds=0.01)
            assert len(srv.batch_creates) == 1  # the recorded batch was polled, not submitted again
            assert totals["valid"] == len(pending.requests) and reopened.open_llm_batches(job_id) == []
            again = run_batch_api(reopened, job_id, config=cfg, poll_seconds=0.01)
            assert again == {} and len(srv.batch_creates) == 1
        finally:
            reopened.close()


def test_an_answer_whose_request_changed_is_not_used_with_fake_server(job: tuple[Any, str], tmp_path: Path) -> None:
    store, job_id = job
    from extractor.llm.batch_api import job_requests

    with FakeBatchServer(polls=1) as srv:
        cfg = cfg_for(srv.base_url, tmp_path / "cache")
        planned = job_requests(store, job_id, cfg)
        reqs = [r for rs in planned.values() for r in rs]
        hashes = {r.custom_id: r.hash for r in reqs}
        hashes[reqs[0].custom_id] = "0" * 64  # as if the code had built another body since submitting
        row = store.create_llm_batch(hashes, job_id=job_id)
        import openai

        client = openai.OpenAI(base_url=srv.base_url, api_key="t")
        up = client.files.create(file=("in.jsonl", jsonl(reqs)), purpose="batch")
        batch = client.batches.create(input_file_id=up.id, endpoint=CHAT_URL, completion_window="24h")
        batch = client.batches.retrieve(batch.id)
        stats = apply(store, row, {r.custom_id: r for r in reqs}, batch, cfg, client)
        assert stats["changed"] == 1 and stats["valid"] == len(reqs) - 1
        assert store.get_llm_batch(row.id).status == "processed"


@pytest.mark.slow
def test_xxgk_batch_llm_batch_api_end_to_end_with_fake_server(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for p in DOCS:
        shutil.copy(p, src / p.name)
    with FakeBatchServer(polls=2) as srv:
        env = {**os.environ, "XXGK_LLM_BASE_URL": srv.base_url, "XXGK_LLM_MODEL": "fake-model",
               "XXGK_LLM_API_KEY": "test", "XXGK_CACHE_DIR": str(tmp_path / "cache"), "XXGK_LLM_BATCH_POLL": "0.05",
               "XXGK_LLM_RETRIES": "0", "XXGK_CONFIG": str(tmp_path / "none.toml")}
        proc = subprocess.run([sys.executable, "-m", "extractor.cli", "batch", str(src), "--db", str(tmp_path / "x.db"),
                               "--out", str(tmp_path / "out"), "--extractor", "llm", "--llm-batch-api",
                               "--workers", "1"], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "Batch API: submitted" in proc.stderr and len(srv.batch_creates) == 1
        assert srv.chat_requests == []  # every row answered by the batch
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "values.csv").read_text(encoding="utf-8-sig"))))
    assert {r["extractor"] for r in rows} == {"llm"} and len(rows) == 2
    for row in rows:
        reader = extract(src / row["file"].rsplit("/", 1)[-1])
        for key, v in reader.flat().items():
            if key in row and row[key] != "":
                assert row[key] == str(v), key
