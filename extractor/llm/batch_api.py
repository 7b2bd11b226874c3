"""The OpenAI Batch API for ``xxgk batch --extractor llm --llm-batch-api``: half the price, up to a day's wait.

The requests are exactly those the synchronous LLM extractor sends: the same
:class:`~extractor.llm.client.ChatRequest` (prompt, response model, mode, ``max_tokens``, temperature; the
body built by instructor's own request preparation) for the same calls (``llm.calls.plan``), written as JSONL lines ``{"custom_id", "method": "POST", "url":
"/v1/chat/completions", "body"}``. ``custom_id`` is ``document:template:table:row`` (store document
id, template, table, the row's position among that table's row tasks).

Flow: plan the requests of the job's queued documents → upload the file (``purpose="batch"``) →
create the batch → poll → download the output and error files → match each line by ``custom_id``.
Every answer is validated as a synchronous one is: parsed by the row's response model with the
row's grounding context (a number not printed in the row is rejected). A valid answer is written into
the LLM answer cache under the request's :attr:`~extractor.llm.client.ChatRequest.key`, the key the
synchronous client looks up, so that the job's ordinary LLM
extraction then takes it from there, and everything after it (grounded values, the re-read of rows
behind a failed table identity, the rules) is the synchronous code. Rows without a valid answer
(an error line, invalid JSON, an ungrounded number, a cut answer, an expired batch) are not cached:
the extraction asks the endpoint for them synchronously.

The batch id, the file ids and each request's hash are in the store (its LLM batch methods), so that a
restarted command polls the batch it submitted instead of submitting another, and an answer whose
request no longer hashes the same (the code or the file changed meanwhile) is not used.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import openai
from openai.types import Batch
from pydantic import ValidationError
from rich.console import Console

from extractor._errors import BackendError, ConfigError, InputError
from extractor.detect import detect, looks_like_report
from extractor.document import Document
from extractor.ingest import load
from extractor.llm.cache import AnswerCache
from extractor.llm.calls import Call, plan, request
from extractor.llm.client import ChatRequest
from extractor.llm.config import LLMConfig, load_config
from extractor.llm.locate import locate
from extractor.settings import settings

if TYPE_CHECKING:  # a store is handed in; this module needs no [store] extra to import
    from extractor.store import LlmBatchRow, Store

CHAT_URL: Final = "/v1/chat/completions"
MAX_REQUESTS = 50_000  # per batch (OpenAI's limit)
MAX_BYTES = 190 * 1024 * 1024  # per input file (OpenAI's limit is 200 MB)
OPENAI_TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
BATCH_DISCOUNT = 0.5  # the Batch API costs half the synchronous price
POLL_ENV = "XXGK_LLM_BATCH_POLL"


@dataclass(frozen=True)
class PlannedRequest:
    """One call's request: the JSONL body, the synchronous call's cache key, and what validates the answer."""

    custom_id: str
    body: dict[str, Any]
    cache_key: str
    task: Call  # a row, or several easy rows
    document: Document = field(repr=False)  # for the grounding

    @property
    def hash(self) -> str:
        return request_hash(self.body)

    def line(self) -> dict[str, Any]:
        return {"custom_id": self.custom_id, "method": "POST", "url": CHAT_URL, "body": self.body}


@dataclass(frozen=True)
class Reply:
    """One output or error line, reduced to what validation needs."""

    custom_id: str
    content: str | None = None
    error: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------ requests
def document_requests(document: Document, document_id: int | str, config: LLMConfig,
                      template: str | None = None) -> list[PlannedRequest]:
    """The requests the synchronous LLM extractor would send for this document (first round: the rows
    printing a number other than 0, easy rows several to a call, as ``llm.calls.plan`` groups them)."""
    template = template or detect(document).template or "2021"
    tasks = locate(document, template)
    out: list[PlannedRequest] = []
    per_table: dict[str, int] = {}
    for call in plan(document, tasks):
        n = per_table.get(call.table, 0)
        per_table[call.table] = n + 1
        messages, model, _grounder = request(document, call)
        chat = ChatRequest.build(config, messages, model)
        out.append(PlannedRequest(f"{document_id}:{template}:{call.table}:{n}", chat.body(), chat.key, call, document))
    return out


def job_requests(store: Store, job_id: str, config: LLMConfig) -> dict[int, list[PlannedRequest]]:
    """Requests of every queued document of a job (files that cannot be read are left to the extraction)."""
    out: dict[int, list[PlannedRequest]] = {}
    for item in store.job_items(job_id, status="queued"):
        if item.document_id is None or item.document_id in out:
            continue
        try:
            doc = load(store.document_bytes(item.document_id), item.file_name.rsplit("/", 1)[-1])
        except InputError:
            continue
        if not looks_like_report(doc):
            continue
        out[item.document_id] = document_requests(doc, item.document_id, config)
    return out


def jsonl(requests: Iterable[PlannedRequest]) -> bytes:
    """The batch input file: one request per line."""
    return "".join(json.dumps(r.line(), ensure_ascii=False) + "\n" for r in requests).encode("utf-8")


def chunks(requests: Sequence[PlannedRequest]) -> list[list[PlannedRequest]]:
    """Split into batches within OpenAI's limits (requests and bytes per input file)."""
    out: list[list[PlannedRequest]] = []
    cur: list[PlannedRequest] = []
    size = 0
    for r in requests:
        n = len(json.dumps(r.line(), ensure_ascii=False).encode("utf-8")) + 1
        if cur and (len(cur) >= MAX_REQUESTS or size + n > MAX_BYTES):
            out.append(cur)
            cur, size = [], 0
        cur.append(r)
        size += n
    if cur:
        out.append(cur)
    return out


# ------------------------------------------------------------------------------------------ replies
def parse_output(text: str) -> dict[str, Reply]:
    """Output and error file lines by custom_id (a later line for the same id wins)."""
    out: dict[str, Reply] = {}
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue
        cid = str(line.get("custom_id") or "")
        if not cid:
            continue
        err = line.get("error")
        resp = line.get("response") or {}
        if err:
            out[cid] = Reply(cid, error=f"{err.get('code', 'error')}: {err.get('message', '')}".strip())
            continue
        status = resp.get("status_code")
        body = resp.get("body") or {}
        if status != 200:
            msg = (body.get("error") or {}).get("message", "") if isinstance(body, dict) else ""
            out[cid] = Reply(cid, error=f"HTTP {status}: {msg}".strip())
            continue
        usage = body.get("usage") or {}
        try:
            choice = body["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content")
            if not content and message.get("tool_calls"):
                content = message["tool_calls"][0]["function"]["arguments"]
        except (KeyError, IndexError, TypeError):
            out[cid] = Reply(cid, error="no choices in the response")
            continue
        out[cid] = Reply(cid, content=content, finish_reason=choice.get("finish_reason"),
                         prompt_tokens=int(usage.get("prompt_tokens") or 0),
                         completion_tokens=int(usage.get("completion_tokens") or 0))
    return out


def validate_reply(req: PlannedRequest, reply: Reply | None) -> tuple[dict[str, Any] | None, str]:
    """The row's numbers when the answer passes the synchronous checks (schema + grounding), else why not."""
    if reply is None:
        return None, "no answer"
    if reply.error:
        return None, reply.error
    if reply.finish_reason == "length":
        return None, "truncated"
    if not reply.content:
        return None, "empty answer"
    _messages, model, grounder = request(req.document, req.task)
    try:
        parsed = model.model_validate_json(reply.content, context={"grounder": grounder})
    except ValidationError as err:
        first = err.errors()[0] if err.errors() else {"msg": str(err)}
        return None, f"invalid: {first.get('msg', '')[:200]}"
    except ValueError as err:
        return None, f"invalid: {str(err)[:200]}"
    return parsed.numbers(), ""


# ------------------------------------------------------------------------------------------ the flow
def _config(config: LLMConfig | None = None) -> LLMConfig:
    cfg = (config or load_config()).require()
    if not cfg.cache:
        raise ConfigError("Batch API 的答案经由 LLM 缓存交给提取 / the Batch API hands its answers to the extraction "
                          "through the LLM answer cache: enable it (XXGK_LLM_CACHE=1)")
    return cfg


def _client(cfg: LLMConfig) -> openai.OpenAI:
    return openai.OpenAI(base_url=cfg.base_url, api_key=cfg.api_key or "none", timeout=cfg.timeout,
                         max_retries=cfg.retries)


def submit(store: Store, job_id: str, requests: Sequence[PlannedRequest], cfg: LLMConfig,
           client: openai.OpenAI) -> list[LlmBatchRow]:
    """Upload and create one batch per chunk; each recorded in the store before and after submitting."""
    rows = []
    for part in chunks(requests):
        row = store.create_llm_batch({r.custom_id: r.hash for r in part}, job_id=job_id, status="created",
                                     meta={"model": cfg.model, "base_url": cfg.base_url, "requests": len(part)})
        upload = client.files.create(file=(f"xxgk-{job_id}-{row.id}.jsonl", jsonl(part)), purpose="batch")
        row = store.update_llm_batch(row.id, input_file_id=upload.id, status="uploaded")
        batch = client.batches.create(input_file_id=upload.id, endpoint=CHAT_URL, completion_window="24h",
                                      metadata={"xxgk_job": job_id, "xxgk_batch": str(row.id)})
        rows.append(store.update_llm_batch(row.id, batch_id=batch.id, status=batch.status))
    return rows


def _download(client: openai.OpenAI, file_id: str | None) -> str:
    if not file_id:
        return ""
    return client.files.content(file_id).text


def apply(store: Store, row: LlmBatchRow, requests: Mapping[str, PlannedRequest], batch: Batch, cfg: LLMConfig,
          client: openai.OpenAI) -> dict[str, int | float]:
    """Validate a finished batch's answers and cache the good ones; returns the counts kept in the store.

    ``batch`` is the OpenAI batch object (its status and file ids)."""
    replies = parse_output(_download(client, batch.error_file_id))
    replies.update(parse_output(_download(client, batch.output_file_id)))
    cache = AnswerCache(cfg.cache_path())
    stats: dict[str, int] = {"valid": 0, "invalid": 0, "missing": 0, "changed": 0, "prompt_tokens": 0, "completion_tokens": 0}
    failures: dict[str, str] = {}
    try:
        for cid, expected_hash in row.requests.items():
            req = requests.get(cid)
            reply = replies.get(cid)
            if reply is not None:
                stats["prompt_tokens"] += reply.prompt_tokens
                stats["completion_tokens"] += reply.completion_tokens
            if req is None or req.hash != expected_hash:
                stats["changed"] += 1  # the document or the code changed since submitting: ask again
                continue
            if reply is None:
                stats["missing"] += 1
                continue
            data, why = validate_reply(req, reply)
            if data is None:
                stats["invalid"] += 1
                failures[cid] = why
                continue
            cache.set(req.cache_key, {"data": data, "grounded": True})
            stats["valid"] += 1
    finally:
        cache.close()
    kept: dict[str, int | float] = {
        **stats, "cost": cfg.cost(stats["prompt_tokens"], stats["completion_tokens"]) * BATCH_DISCOUNT}
    store.update_llm_batch(row.id, status="processed", output_file_id=batch.output_file_id,
                           error_file_id=batch.error_file_id,
                           meta={"openai_status": batch.status, **kept, "failures": dict(list(failures.items())[:200])})
    return kept


def run_batch_api(store: Store, job_id: str, *, config: LLMConfig | None = None, client: openai.OpenAI | None = None,
                  poll_seconds: float | None = None, max_wait: float | None = None, console: Console | None = None,
                  on_status: Callable[[Batch], None] | None = None) -> dict[str, int]:
    """Submit (once per job) and poll the job's batches, caching every valid answer. Safe to re-run.

    Returns the summed counts of the batches applied in this call. ``max_wait`` seconds (None: no
    limit) stops polling early; the batch stays open in the store for the next run.
    """
    cfg = _config(config)
    client = client or _client(cfg)
    poll = poll_seconds if poll_seconds is not None else settings().llm_batch_poll
    say = console.print if console is not None else (lambda *a, **k: None)
    planned = job_requests(store, job_id, cfg)
    by_id = {r.custom_id: r for reqs in planned.values() for r in reqs}
    batches = store.llm_batches(job_id)
    if not batches:
        todo = [r for reqs in planned.values() for r in reqs]
        if not todo:
            return {}
        batches = submit(store, job_id, todo, cfg, client)
        say(f"Batch API: submitted {len(todo)} requests in {len(batches)} batch(es): "
            + ", ".join(b.batch_id or "?" for b in batches))
    totals: dict[str, int] = {}
    started = time.monotonic()
    open_rows = store.open_llm_batches(job_id)
    while open_rows:
        still = []
        for row in open_rows:
            if not row.batch_id:  # recorded but never created (killed between the two calls): resubmit
                redo = [by_id[c] for c in row.requests if c in by_id]
                store.update_llm_batch(row.id, status="cancelled", meta={"reason": "never submitted"})
                still.extend(submit(store, job_id, redo, cfg, client) if redo else [])
                continue
            batch = client.batches.retrieve(row.batch_id)
            if on_status:
                on_status(batch)
            if batch.status != row.status:
                row = store.update_llm_batch(row.id, status=batch.status)
            if batch.status in OPENAI_TERMINAL:
                stats = apply(store, row, by_id, batch, cfg, client)
                for k, v in stats.items():
                    if isinstance(v, int):
                        totals[k] = totals.get(k, 0) + v
                say(f"Batch API: {row.batch_id} {batch.status}: {stats['valid']} answers kept, "
                    f"{stats['invalid'] + stats['missing'] + stats['changed']} to ask synchronously")
            else:
                still.append(row)
        open_rows = still
        if open_rows:
            if max_wait is not None and time.monotonic() - started > max_wait:
                say(f"Batch API: still waiting for {len(open_rows)} batch(es); run the same command to resume")
                raise BatchPending(", ".join(r.batch_id or "?" for r in open_rows))
            time.sleep(poll)
    return totals


class BatchPending(BackendError):
    """The batch is not finished yet; it stays recorded and the next run polls it."""


__all__ = ["BatchPending", "PlannedRequest", "Reply", "apply", "chunks", "document_requests", "job_requests",
           "jsonl", "parse_output", "request_hash", "run_batch_api", "submit", "validate_reply"]
