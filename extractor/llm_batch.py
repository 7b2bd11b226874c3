"""The OpenAI Batch API for ``xxgk batch --extractor llm --llm-batch-api``: half the price, up to a day's wait.

The requests are exactly those the synchronous LLM extractor sends (one per printed table row: the
same prompt, response model, mode, ``max_tokens`` and temperature; the body built by instructor's own
request preparation), written as JSONL lines ``{"custom_id", "method": "POST", "url":
"/v1/chat/completions", "body"}``. ``custom_id`` is ``document:template:table:row`` (store document
id, template, table, the row's position among that table's row tasks).

Flow: plan the requests of the job's queued documents → upload the file (``purpose="batch"``) →
create the batch → poll → download the output and error files → match each line by ``custom_id``.
Every answer is validated as a synchronous one is: parsed by the row's response model with the
row's grounding context (a number not printed in the row is rejected). A valid answer is written into
the LLM answer cache under the synchronous call's own cache key, so that the job's ordinary LLM
extraction then takes it from there, and everything after it (grounded values, the re-read of rows
behind a failed table identity, the rules) is the synchronous code. Rows without a valid answer
(an error line, invalid JSON, an ungrounded number, a cut answer, an expired batch) are not cached:
the extraction asks the endpoint for them synchronously.

The batch id, the file ids and each request's hash are in the store (``llm_batches``), so that a
restarted command polls the batch it submitted instead of submitting another, and an answer whose
request no longer hashes the same (the code or the file changed meanwhile) is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from extractor._errors import BackendError, ConfigError, InputError

CHAT_URL = "/v1/chat/completions"
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
    task: Any  # extractor.llm.calls.Call: a row, or several easy rows
    document: Any = field(repr=False)  # the Document (grounding)

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
def _sync_kwargs(config: Any, messages: list[dict[str, Any]], response_model: type) -> tuple[dict[str, Any], str]:
    """The body the synchronous client sends for this call, and its answer-cache key.

    Mirrors ``LLMClient.ask``: ``max_tokens`` = the model's need + think tokens; instructor's
    request preparation for the configured mode turns the response model into the body.
    """
    from instructor.v2.core.response import handle_response_model

    from extractor.llm.cache import cache_key
    from extractor.llm.client import MODES
    from extractor.llm.models import max_tokens_for

    max_tokens = max_tokens_for(response_model) + config.think_tokens
    _, kwargs = handle_response_model(response_model, MODES[config.mode], messages=messages, model=config.model,
                                      max_tokens=max_tokens, temperature=config.temperature)
    key = cache_key(config.model or "", messages, response_model.model_json_schema(), mode=config.mode,
                    max_tokens=max_tokens, temperature=config.temperature)
    return kwargs, key


def document_requests(document: Any, document_id: int | str, config: Any,
                      template: str | None = None) -> list[PlannedRequest]:
    """The requests the synchronous LLM extractor would send for this document (first round: the rows
    printing a number other than 0, easy rows several to a call, as ``llm.calls.plan`` groups them)."""
    from extractor.detect import detect
    from extractor.llm.calls import plan, request
    from extractor.llm.locate import locate

    template = template or detect(document).template or "2021"
    tasks = locate(document, template)
    out: list[PlannedRequest] = []
    per_table: dict[str, int] = {}
    for call in plan(document, tasks):
        n = per_table.get(call.table, 0)
        per_table[call.table] = n + 1
        messages, model, _grounder = request(document, call)
        body, key = _sync_kwargs(config, messages, model)
        out.append(PlannedRequest(f"{document_id}:{template}:{call.table}:{n}", body, key, call, document))
    return out


def job_requests(store: Any, job_id: str, config: Any) -> dict[int, list[PlannedRequest]]:
    """Requests of every queued document of a job (files that cannot be read are left to the extraction)."""
    from extractor.api import read_document
    from extractor.detect import looks_like_report

    out: dict[int, list[PlannedRequest]] = {}
    for item in store.job_items(job_id, status="queued"):
        if item.document_id is None or item.document_id in out:
            continue
        try:
            doc, _info = read_document(store.document_bytes(item.document_id), item.file_name.rsplit("/", 1)[-1])
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
    from pydantic import ValidationError

    from extractor.llm.calls import request

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
def _config(config: Any = None) -> Any:
    from extractor.llm.config import load_config

    cfg = (config or load_config()).require()
    if not cfg.cache:
        raise ConfigError("Batch API 的答案经由 LLM 缓存交给提取 / the Batch API hands its answers to the extraction "
                          "through the LLM answer cache: enable it (XXGK_LLM_CACHE=1)")
    return cfg


def _client(cfg: Any) -> Any:
    import openai

    return openai.OpenAI(base_url=cfg.base_url, api_key=cfg.api_key or "none", timeout=cfg.timeout,
                         max_retries=cfg.retries)


def _job_batches(store: Any, job_id: str) -> list[Any]:
    """Every LLM batch of a job, open or closed (the store lists only open ones)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from extractor.store import models as m

    with Session(store.engine) as s:
        ids = list(s.scalars(select(m.LlmBatch.id).where(m.LlmBatch.job_id == job_id).order_by(m.LlmBatch.id)))
    return [store.get_llm_batch(i) for i in ids]


def submit(store: Any, job_id: str, requests: Sequence[PlannedRequest], cfg: Any, client: Any) -> list[Any]:
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


def _download(client: Any, file_id: str | None) -> str:
    if not file_id:
        return ""
    return client.files.content(file_id).text


def apply(store: Any, row: Any, requests: dict[str, PlannedRequest], batch: Any, cfg: Any, client: Any) -> dict:
    """Validate a finished batch's answers and cache the good ones; returns the counts kept in the store."""
    from extractor.llm.cache import AnswerCache

    replies = parse_output(_download(client, batch.error_file_id))
    replies.update(parse_output(_download(client, batch.output_file_id)))
    cache = AnswerCache(cfg.cache_path())
    stats = {"valid": 0, "invalid": 0, "missing": 0, "changed": 0, "prompt_tokens": 0, "completion_tokens": 0}
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
    stats["cost"] = cfg.cost(stats["prompt_tokens"], stats["completion_tokens"]) * BATCH_DISCOUNT
    store.update_llm_batch(row.id, status="processed", output_file_id=batch.output_file_id,
                           error_file_id=batch.error_file_id,
                           meta={"openai_status": batch.status, **stats, "failures": dict(list(failures.items())[:200])})
    return stats


def run_batch_api(store: Any, job_id: str, *, config: Any = None, client: Any = None,
                  poll_seconds: float | None = None, max_wait: float | None = None, console: Any = None,
                  on_status: Callable[[Any], None] | None = None) -> dict[str, int]:
    """Submit (once per job) and poll the job's batches, caching every valid answer. Safe to re-run.

    Returns the summed counts of the batches applied in this call. ``max_wait`` seconds (None: no
    limit) stops polling early; the batch stays open in the store for the next run.
    """
    cfg = _config(config)
    client = client or _client(cfg)
    poll = poll_seconds if poll_seconds is not None else float(os.environ.get(POLL_ENV) or 30)
    say = console.print if console is not None else (lambda *a, **k: None)
    planned = job_requests(store, job_id, cfg)
    by_id = {r.custom_id: r for reqs in planned.values() for r in reqs}
    batches = _job_batches(store, job_id)
    if not batches:
        todo = [r for reqs in planned.values() for r in reqs]
        if not todo:
            return {}
        batches = submit(store, job_id, todo, cfg, client)
        say(f"Batch API: submitted {len(todo)} requests in {len(batches)} batch(es): "
            + ", ".join(b.batch_id or "?" for b in batches))
    totals: dict[str, int] = {}
    started = time.monotonic()
    open_rows = [b for b in batches if b.status not in ("processed", "failed", "expired", "cancelled")]
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
