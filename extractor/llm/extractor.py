"""The LLM extractor and the hybrid extractor, behind the same Protocol as the table reader.

``LLMExtractor`` cuts the report into printed rows (``locate``), asks the model for each row's numbers
(``client``, concurrently, cached; easy rows several to a call, ``chunks``), grounds every number in the row's text (``grounding``) and runs
the template's table identities: rows behind a failed identity are re-read ONCE with the rule quoted;
grounded re-read values stand, and an inconsistency that remains is the report's own (the validators
report it). A number still printed nowhere in its row is held back for a person (no value; the model's
number offered as the reading to pick). ``HybridExtractor`` runs the table reader and the model and
reconciles them per field.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from extractor._errors import BackendError, ConfigError
from extractor.detect import detect
from extractor.document import Document
from extractor.llm.calls import Call, grounder_for, plan, request
from extractor.llm.chunks import CHUNK_ROWS, RowChunk, chunk
from extractor.llm.client import Answer, LLMClient
from extractor.llm.config import LLMConfig, load_config
from extractor.llm.locate import RowTask, locate
from extractor.llm.prompts import reread_prompt
from extractor.llm.reconcile import lone_tables, reconcile
from extractor.reader import TableReader
from extractor.reader.numbers import parse_cell
from extractor.reader.prose import read_prose
from extractor.rules import validate
from schemas import catalog
from schemas.results import CallUsage, Evidence, Extraction, Finding, Usage, Value, ValueStatus

T = TypeVar("T")
IDENTITY_KINDS = ("sum", "inequality")  # table identities worth a re-read; prose and metadata are not


def run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine from sync code, also when the caller already runs an event loop (a web server)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


async def gather_all(coros: list[Awaitable[T]]) -> list[T]:
    """Like gather, but a failure (a fatal endpoint error) cancels the calls still running."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _row_evidence(task: RowTask, text: str) -> Evidence:
    return Evidence(extractor="llm", kind="llm", page=task.page, start=task.start, end=task.end,
                    text=text[task.start:task.end].strip())


class LLMExtractor:
    """Fills the catalog's keys by asking a model one printed row at a time; every number grounded."""

    name = "llm"

    def __init__(self, config: LLMConfig | None = None, *, rows_per_call: int = CHUNK_ROWS, **overrides: Any) -> None:
        self._config = config
        self._overrides = overrides
        self.rows_per_call = rows_per_call  # one-number rows read together (1: a call per row, as before)
        self.last_calls: list[CallUsage] = []

    @property
    def config(self) -> LLMConfig:
        """Read lazily, so that constructing the extractor never fails (the CLI builds it up front)."""
        if self._config is None:
            self._config = load_config(**self._overrides)
        return self._config

    def extract(self, document: Document, template: str | None = None) -> Extraction:
        return self.extract_with(document, template or detect(document).template or "2021")

    def extract_with(self, document: Document, template: str) -> Extraction:
        """Read with the model, one printed row at a time, the rows found the way the table reader finds them."""
        cfg = self.config.require()
        t0 = time.perf_counter()
        tasks = locate(document, template)
        values, doubts, calls = run_sync(self._run(document, template, tasks))
        self.last_calls = calls
        client_usage = _usage(calls)
        if not tasks:
            doubts.append(Finding(rule="extract.table_missing", kind="extraction", category="extraction",
                                  severity="error", message="模型提取：没有找到任何统计表的行 / no table rows found",
                                  detail={"template": template}))
        return Extraction(
            extractor=self.name, model=cfg.model, template=template,  # type: ignore[arg-type]
            values=values, prose_values=read_prose(document, template), doubts=doubts,
            usage=client_usage, seconds=time.perf_counter() - t0,
        )

    # ----------------------------------------------------------------------------- the async part
    async def _run(self, document: Document, template: str,
                   tasks: list[RowTask]) -> tuple[dict[str, Value], list[Finding], list[CallUsage]]:
        client = LLMClient(self.config)
        try:
            # a row with no digit in its value cells has nothing to read (its cells are blank), nor has one
            # printing only zeros: no call for either
            text = document.text
            calls = plan(document, tasks, self.rows_per_call)  # one-number rows several to a call
            asked: list[RowTask] = []
            answers: list[Answer] = []
            for call, answer in zip(calls, await gather_all([self._ask(client, document, c) for c in calls])):
                if isinstance(call, RowChunk):
                    rows = call.split(answer.data) if answer.data is not None else [None] * len(call.tasks)
                    asked += call.tasks
                    answers += [Answer(data, answer.grounded, answer.failure, answer.message, answer.record)
                                for data in rows]
                else:
                    asked.append(call)
                    answers.append(answer)
            values: dict[str, Value] = {}
            failures: dict[str, tuple[str, list[str]]] = {}
            for task in tasks:
                if not task.has_digits(text):
                    values.update(self._values(document, task, dict.fromkeys(task.fields)))
                elif (zeros := task.zeros(text)) is not None:
                    values.update(self._values(document, task, zeros, by_model=False))
            for task, answer in zip(asked, answers):
                self._apply(document, task, answer, values, failures)
            await self._reread(client, document, template, asked, values)  # rows read without it are certain
            doubts = _doubts(values, failures)
            return _held(values), doubts, list(client.records)
        finally:
            await client.close()

    async def _ask(self, client: LLMClient, document: Document, call: Call) -> Answer:
        messages, model, grounder = request(document, call)
        return await client.ask(messages, model, grounder, purpose="read", label=call.label)

    def _apply(self, document: Document, task: RowTask, answer: Answer, values: dict[str, Value],
               failures: dict[str, tuple[str, list[str]]]) -> None:
        if answer.data is None:
            kind = answer.failure or "invalid"
            message, keys = failures.get(kind, (answer.message, []))
            failures[kind] = (message, keys + list(task.keys))
            return
        values.update(self._values(document, task, answer.data))

    def _values(self, document: Document, task: RowTask, data: dict[str, int | float | None],
                by_model: bool = True) -> dict[str, Value]:
        """The row's Values, each grounded in its printed cell; ``by_model=False``: read without the model
        (a row of zeros), so the evidence says "table"."""
        grounder = grounder_for(document, task)
        nums = [data.get(f) for f in task.fields]
        found = grounder.locate(nums)
        if not by_model:
            found = [ev.model_copy(update={"kind": "table"}) if ev is not None else None for ev in found]
        cells = grounder.slots if len(grounder.slots) == len(nums) else []
        out: dict[str, Value] = {}
        for i, (key, num, ev) in enumerate(zip(task.keys, nums, found)):
            spec = catalog.BY_KEY[key]
            if num is None:  # blank, "—" or "/": the printed cell says which, when the cells line up
                raw = document.text[cells[i][0]:cells[i][1]].strip() if cells else ""
                status = cast(ValueStatus, parse_cell(raw).status if raw else "blank")  # the reader's cell kinds
                if status in ("number", "text"):  # the model left out a printed number: not a blank of the report
                    raw, status = "", "missing"
                out[key] = Value(key=key, value=None, raw=raw, status=status,
                                 unit=spec.unit, extractor="llm", evidence=[_row_evidence(task, document.text)])
            elif ev is not None:
                out[key] = Value(key=key, value=num, raw=ev.text, status="number", unit=spec.unit, extractor="llm",
                                 evidence=[ev])
            else:
                out[key] = Value(key=key, value=num, raw=str(num), status="number", unit=spec.unit, extractor="llm",
                                 evidence=[_row_evidence(task, document.text)], grounded=False)
        return out

    async def _reread(self, client: LLMClient, document: Document, template: str, tasks: list[RowTask],
                      values: dict[str, Value]) -> None:
        """One re-read of the rows behind each failed table identity that the model read (``tasks``: a row of
        zeros or blanks, read without it, cannot be what broke the identity), and of those only the rows with a
        number printed nowhere in them when there are such; grounded answers stand."""
        failed = [f for f in validate(values, template=template) if f.kind in IDENTITY_KINDS]
        if not failed:
            return
        rule_of: dict[int, str] = {}
        for f in failed:
            involved = [i for i, task in enumerate(tasks)
                        if set(task.keys) & set(f.keys) and any(k in values for k in task.keys)]
            # a number printed nowhere in its row is the suspect: its rows alone, else every row of the rule
            suspects = [i for i in involved if any(not values[k].grounded for k in tasks[i].keys if k in values)]
            for i in suspects or involved:
                rule_of.setdefault(i, f.message)
        by_rule: dict[str, list[RowTask]] = {}
        for i in sorted(rule_of):
            by_rule.setdefault(rule_of[i], []).append(tasks[i])
        # the rows of one rule re-read together where they were read together (one-number rows)
        calls = [(call, rule) for rule, rows in by_rule.items()
                 for call in chunk(rows, document.text, self.rows_per_call)]
        answers = await gather_all([self._ask_again(client, document, call, rule, values) for call, rule in calls])
        for (call, _), answer in zip(calls, answers):
            if answer.data is None:
                continue
            rows = call.split(answer.data) if isinstance(call, RowChunk) else [answer.data]
            for task, data in zip(call.tasks if isinstance(call, RowChunk) else [call], rows):
                fresh = self._values(document, task, data)
                if all(v.grounded for v in fresh.values()):  # a grounded re-read stands, row by row
                    values.update(fresh)

    async def _ask_again(self, client: LLMClient, document: Document, call: Call, rule: str,
                         values: dict[str, Value]) -> Answer:
        """The re-read of one call: its rows as read, the failed rule quoted."""
        messages, model, grounder = request(document, call)
        rows = call.tasks if isinstance(call, RowChunk) else (call,)
        previous = {f"{i}.{f}" if isinstance(call, RowChunk) else f: values[k].value if k in values else None
                    for i, task in enumerate(rows) for f, k in zip(task.fields, task.keys)}
        return await client.ask(reread_prompt(messages, previous, rule, isinstance(call, RowChunk)), model,
                                grounder, purpose="reread", label=call.label)


def _usage(calls: list[CallUsage]) -> Usage:
    u = Usage()
    for r in calls:
        u = u.add(Usage(calls=0 if r.cached else r.completions, prompt_tokens=r.prompt_tokens,
                        completion_tokens=r.completion_tokens, cost=r.cost, cached_calls=int(r.cached),
                        seconds=r.seconds, per_call=[r.model_copy()]))
    return u


def _held(values: dict[str, Value]) -> dict[str, Value]:
    """The values with every number printed nowhere in its row held back for a person: no value (a wrong value
    is worse than a missing one), the model's number kept as the one reading to pick (``choices``)."""
    return {k: v if v.grounded or v.value is None else v.model_copy(update={
        "value": None, "raw": "", "status": "text", "candidates": [[v.value]], "choices": [v.value]})
        for k, v in values.items()}


def _doubts(values: dict[str, Value], failures: dict[str, tuple[str, list[str]]]) -> list[Finding]:
    out: list[Finding] = []
    for key, v in values.items():
        if not v.grounded and v.value is not None:
            out.append(Finding(
                rule="extract.ungrounded", kind="extraction", category="extraction", severity="warning",
                message=(f"模型给出的“{catalog.BY_KEY[key].label}” = {v.value} 在原文该行中找不到，未作为数值采用；"
                         "请对照原文选用或填写"),
                keys=[key], actual=v.value, evidence={key: v.evidence}, detail={"reading": v.value}))
    for kind, (message, keys) in failures.items():
        out.append(Finding(
            rule="extract.llm_failed", kind="extraction", category="extraction", severity="error",
            message=f"模型提取失败（{len(keys)} 个单元格）：{message}", keys=keys, detail={"failure": kind}))
    return out


class HybridExtractor:
    """The table reader and the model side by side, reconciled per field; the reader's values never lost."""

    name = "hybrid"

    def __init__(self, config: LLMConfig | None = None, **overrides: Any) -> None:
        self.llm = LLMExtractor(config, **overrides)
        self.reader = TableReader()

    def extract(self, document: Document, template: str | None = None) -> Extraction:
        t0 = time.perf_counter()
        reading = self.reader.extract(document, template)
        template = template or reading.template or "2021"
        model: str | None = None
        try:
            model = self.llm.config.model
            llm = self.llm.extract_with(document, template)
        except (BackendError, ConfigError) as err:
            doubt = Finding(rule="extract.llm_unavailable", kind="extraction", category="extraction",
                            severity="warning", message=f"模型提取未能进行，仅采用表格读取的结果：{err}",
                            detail={"error": str(err)})
            values = {k: v.model_copy(update={"agreement": "rules_only"}) for k, v in reading.values.items()}
            return Extraction(extractor=self.name, model=model, template=template,  # type: ignore[arg-type]
                              values=values, prose_values=reading.prose_values, doubts=[*reading.doubts, doubt],
                              seconds=time.perf_counter() - t0)
        values, findings = reconcile(reading, llm)
        held = [d for d in llm.doubts if d.rule == "extract.ungrounded"
                and not any(values[k].agreement == "llm_only" for k in d.keys)]  # the reader's value stands there
        alone = lone_tables(reading, llm)
        reader_doubts = [d for d in reading.doubts
                         if not (d.rule == "extract.table_missing" and d.detail.get("table") in alone)]
        for table in alone:
            findings.append(Finding(
                rule="extract.llm_only", kind="extraction", category="extraction", severity="warning",
                message=f"表格读取器没有读到{catalog.TABLE_TITLES[table]}，该表只有模型读取的结果，请核对",
                keys=[k for k, v in values.items() if v.agreement == "llm_only" and k.startswith(table + ".")],
                detail={"table": table}))
        return Extraction(
            extractor=self.name, model=llm.model, template=template,  # type: ignore[arg-type]
            values=values, prose_values=reading.prose_values,
            doubts=[*reader_doubts, *[d for d in llm.doubts if d not in held], *findings],
            usage=llm.usage, seconds=time.perf_counter() - t0,
        )


__all__ = ["HybridExtractor", "LLMExtractor", "run_sync"]
