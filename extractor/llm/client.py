"""One structured call to an OpenAI-compatible endpoint: instructor, cache, limits, errors, usage.

Every call goes through :meth:`LLMClient.ask`: a cache lookup, then instructor's ``create`` with the
row's response model and the grounding context (one validation re-ask), under a concurrency limit,
with the ``openai`` client's own retries and backoff for timeouts, 429 and 5xx. Each raw completion
(re-asks included) is recorded with its tokens and cost. Errors are sorted into two kinds: fatal
ones (endpoint unreachable, key refused, model unknown, request rejected) raise a
:class:`~extractor._errors.BackendError` with one clear line; the others (timeout, rate limit,
server error, unparseable answer) fail the one call and are reported by the extractor as findings.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, cast

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.v2.core.response import handle_response_model
from openai.types.chat import ChatCompletionMessageParam
from pydantic import ValidationError

from extractor._errors import BackendError
from extractor.llm.cache import AnswerCache, cache_key
from extractor.llm.chunks import ChunkGrounder
from extractor.llm.config import LLMConfig
from extractor.llm.grounding import RowGrounder, strip_reasoning
from extractor.llm.models import RowAnswer, max_tokens_for
from schemas.results import CallUsage  # one record per ask, filled in as the call goes, kept with the result

MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "tools": instructor.Mode.TOOLS,
    "md_json": instructor.Mode.MD_JSON,
}
# instructor logs every failed attempt at ERROR; this module reports them itself, as findings or one error
logging.getLogger("instructor").setLevel(logging.CRITICAL)
TRANSPORT_FAILURES = ("timeout", "rate_limit", "server")  # the endpoint's trouble, not the model's answer
TRANSIENT_LIMIT = 3  # consecutive failed calls after which the rest are skipped (an endpoint in trouble)


@dataclass(frozen=True)
class ChatRequest:
    """One structured call as the endpoint receives it. The synchronous client sends it and the Batch API
    writes it to a file; both name its answer in the cache by :attr:`key`, so that an answer one of them
    fetched is found by the other."""

    model: str | None
    messages: list[dict[str, str]]
    response_model: type[RowAnswer]
    mode: str
    max_tokens: int  # the answer's need + the model's thinking budget
    temperature: float

    @classmethod
    def build(cls, config: LLMConfig, messages: list[dict[str, str]],
              response_model: type[RowAnswer]) -> ChatRequest:
        return cls(config.model, messages, response_model, config.mode,
                   max_tokens_for(response_model) + config.think_tokens, config.temperature)

    @property
    def key(self) -> str:
        """The answer cache's key: everything that decides the answer."""
        return cache_key(self.model or "", self.messages, self.response_model.model_json_schema(), mode=self.mode,
                         max_tokens=self.max_tokens, temperature=self.temperature)

    def body(self) -> dict[str, Any]:
        """The JSON body of the chat completion, made by instructor's own request preparation for the mode."""
        _, kwargs = handle_response_model(self.response_model, MODES[self.mode], messages=self.messages,
                                          model=self.model, max_tokens=self.max_tokens,
                                          temperature=self.temperature)
        return kwargs


@dataclass
class Answer:
    """The parsed numbers of one call, whether they are all grounded, or why there are none."""

    data: dict[str, int | float | None] | None
    grounded: bool = True
    failure: str | None = None  # timeout | rate_limit | server | invalid | truncated | skipped
    message: str = ""
    record: CallUsage | None = None


@dataclass
class _Breaker:
    failures: int = 0
    open: bool = False
    reason: str = ""


class FatalBackendError(BackendError):
    """The endpoint cannot serve any call (unreachable, key refused, unknown model, request rejected)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


_current: contextvars.ContextVar[CallUsage | None] = contextvars.ContextVar("xxgk_llm_call", default=None)


class LLMClient:
    """A configured endpoint for the duration of one extraction (create and close inside one event loop)."""

    def __init__(self, config: LLMConfig, cache: AnswerCache | None = None) -> None:
        self.config = config
        self._openai = openai.AsyncOpenAI(base_url=config.base_url, api_key=config.api_key or "none",
                                          timeout=config.timeout, max_retries=config.retries)
        self._client = instructor.from_openai(self._openai, mode=MODES[config.mode])
        self._client.on("completion:response", self._on_response)
        self.cache = cache if cache is not None else AnswerCache(config.cache_path() if config.cache else None)
        self.records: list[CallUsage] = []
        self._sem = asyncio.Semaphore(config.concurrency)
        self._breaker = _Breaker()

    # ----------------------------------------------------------------------------- accounting
    def _on_response(self, response: Any) -> None:
        record = _current.get()
        if record is None:
            return
        record.completions += 1
        usage = getattr(response, "usage", None)
        if usage is not None:
            record.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            record.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    async def close(self) -> None:
        await self._openai.close()
        self.cache.close()

    # ----------------------------------------------------------------------------- the call
    async def ask(self, messages: list[dict[str, str]], response_model: type[RowAnswer],
                  grounder: RowGrounder | ChunkGrounder | None, *, purpose: str = "read", label: str = "") -> Answer:
        """Ask for one row; an Answer in every case except a fatal endpoint error (raised)."""
        cfg = self.config
        req = ChatRequest.build(cfg, messages, response_model)
        key = req.key
        record = CallUsage(purpose=purpose, label=label)
        self.records.append(record)
        hit = self.cache.get(key)
        if hit is not None:
            record.cached = True
            return Answer(hit["data"], bool(hit.get("grounded", True)), record=record)
        async with self._sem:
            if self._breaker.open:  # checked once a slot is free: calls queued behind failures are not sent
                record.error = "skipped"
                return Answer(None, failure="skipped", message=self._breaker.reason, record=record)
            token = _current.set(record)
            t0 = time.perf_counter()
            try:
                answer = await self._create(req, grounder)
            finally:
                record.seconds = time.perf_counter() - t0
                record.cost = cfg.cost(record.prompt_tokens, record.completion_tokens)
                _current.reset(token)
        answer.record = record
        if answer.failure:
            record.error = answer.failure
        if answer.failure in TRANSPORT_FAILURES:
            self._breaker.failures += 1
            if self._breaker.failures >= TRANSIENT_LIMIT:
                self._breaker.open = True
                self._breaker.reason = (f"连续 {TRANSIENT_LIMIT} 次调用失败，其余调用已跳过 / {TRANSIENT_LIMIT} "
                                        f"calls in a row failed, the rest were skipped (last: {answer.message})")
        elif not answer.failure:
            self._breaker.failures = 0
            self.cache.set(key, {"data": answer.data, "grounded": answer.grounded})
        return answer

    async def _create(self, req: ChatRequest, grounder: RowGrounder | ChunkGrounder | None) -> Answer:
        response_model, max_tokens = req.response_model, req.max_tokens
        try:
            parsed = await self._client.chat.completions.create(
                model=req.model, messages=cast("list[ChatCompletionMessageParam]", req.messages),
                response_model=response_model, max_retries=1,
                context={"grounder": grounder}, max_tokens=max_tokens, temperature=req.temperature,
            )
            return Answer(parsed.numbers())
        except InstructorRetryException as err:
            cause = err.__cause__ or err
            parse_error = isinstance(cause, (ValidationError, json.JSONDecodeError))
            if parse_error or "validation" in type(cause).__name__.lower():
                return self._salvage(err, response_model)
            return self._transport(cause)
        except IncompleteOutputException:
            return Answer(None, failure="truncated",
                          message=f"模型回答超出 {max_tokens} 个 token 被截断 / the answer was cut at max_tokens")
        except openai.OpenAIError as err:
            return self._transport(err)

    def _salvage(self, err: InstructorRetryException, response_model: type[RowAnswer]) -> Answer:
        """After the re-ask: keep a parseable answer as ungrounded; an unparseable one is a failure."""
        completion = err.last_completion
        text = ""
        try:
            text = completion.choices[0].message.content or ""  # type: ignore[union-attr]
            if not text and completion.choices[0].message.tool_calls:  # type: ignore[union-attr]
                text = completion.choices[0].message.tool_calls[0].function.arguments  # type: ignore[union-attr]
        except (AttributeError, IndexError, TypeError):
            pass
        snippet = strip_reasoning(text)[:80].replace("\n", " ")
        try:
            json.loads(strip_reasoning(text))
        except ValueError:
            return Answer(None, failure="invalid",
                          message=f"模型返回的不是有效的 JSON / the model's answer is not valid JSON: {snippet!r}")
        try:
            parsed = response_model.model_validate_json(text)  # no context: structure only
        except (ValidationError, ValueError):
            return Answer(None, failure="invalid", message=(
                f"模型的回答不符合字段要求 / the model's answer does not fit the row's fields: {snippet!r}"))
        return Answer(parsed.numbers(), grounded=False, message=str(err.__cause__ or err)[:300])

    def _transport(self, err: BaseException) -> Answer:
        url = self.config.base_url
        if isinstance(err, (openai.AuthenticationError, openai.PermissionDeniedError)):
            raise FatalBackendError(
                f"LLM 接口拒绝了 API key / the LLM endpoint {url} refused the API key ({_status(err)}): "
                "check XXGK_LLM_API_KEY", "auth")
        if isinstance(err, openai.NotFoundError):
            raise FatalBackendError(
                f"LLM 接口找不到模型 / the LLM endpoint {url} does not know model {self.config.model!r} (404): "
                "check XXGK_LLM_MODEL and XXGK_LLM_BASE_URL", "not_found")
        if isinstance(err, openai.APITimeoutError):
            return Answer(None, failure="timeout", message=(
                f"LLM 接口超时 / the LLM endpoint {url} did not answer within {self.config.timeout:g} s "
                f"({self.config.retries} retries)"))
        if isinstance(err, openai.APIConnectionError):
            raise FatalBackendError(
                f"无法连接 LLM 接口 / cannot reach the LLM endpoint {url}: {err.__cause__ or err}", "unreachable")
        if isinstance(err, openai.RateLimitError):
            return Answer(None, failure="rate_limit", message=(
                f"LLM 接口限流 / the LLM endpoint {url} answered 429 Too Many Requests "
                f"({self.config.retries} retries)"))
        if isinstance(err, openai.BadRequestError):
            raise FatalBackendError(
                f"LLM 接口拒绝了请求 / the LLM endpoint {url} rejected the request (400: {_detail(err)}); "
                f"mode {self.config.mode!r} may not be supported there: try XXGK_LLM_MODE=json", "bad_request")
        if isinstance(err, openai.APIStatusError):
            return Answer(None, failure="server", message=(
                f"LLM 接口出错 / the LLM endpoint {url} answered {_status(err)} ({self.config.retries} retries)"))
        return Answer(None, failure="invalid", message=f"LLM 调用失败 / the LLM call failed: {err}")


def _status(err: BaseException) -> str:
    code = getattr(err, "status_code", None)
    return f"HTTP {code}" if code else type(err).__name__


def _detail(err: BaseException) -> str:
    return str(getattr(err, "message", "") or err)[:160]


__all__ = ["MODES", "Answer", "ChatRequest", "FatalBackendError", "LLMClient"]
