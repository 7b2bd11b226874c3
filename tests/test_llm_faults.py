"""The LLM and hybrid extractors against FakeOpenAIServer, a loopback stand-in that misbehaves on demand.

These check the machinery around the model (grounding, re-asks, usage, cache, reconciliation, error
handling); the real model is exercised in test_llm_local.py.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests import requirements

requirements.package("instructor", "llm", module_level=True)

from extractor._errors import BackendError
from extractor.api import extract, read_document
from extractor.llm.chunks import chunk
from extractor.llm.config import LLMConfig
from extractor.llm.extractor import HybridExtractor, LLMExtractor
from extractor.llm.locate import locate
from tests.conftest import FIXTURES, SEED_TXT
from tests.fake_openai import FakeOpenAIServer, copy_row, every_cell

FMT2021 = FIXTURES / "text" / "2022-2021format.md"


def _seed() -> Path:
    return SEED_TXT


def _gold(path: Path) -> dict:
    return json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".gold.json").read_text("utf-8"))["values"]


def _cfg(url: str, **kw) -> LLMConfig:
    base = {"base_url": url, "model": "fake-model", "api_key": "test", "cache": False, "retries": 0, "timeout": 3.0,
                "concurrency": 4, "price_input": 1.0, "price_output": 2.0}
    base.update(kw)
    return LLMConfig(**base)


def _reader_values():
    return extract(_seed()).flat()


def test_fake_server_copying_reader_fills_every_seed_key_with_grounded_evidence():
    path = _seed()
    gold = _gold(path)
    with FakeOpenAIServer("copy") as srv:
        ext = LLMExtractor(_cfg(srv.base_url))
        result = extract(path, extractor=ext)
    assert result.extractor == "llm" and result.model == "fake-model"
    assert {k: result.values[k].value for k in gold} == gold
    doc, _ = read_document(path)
    for v in result.values.values():
        assert v.grounded and v.extractor == "llm" and v.evidence[0].kind == "llm"
        if v.value is not None:  # the evidence points at the printed number
            ev = v.evidence[0]
            assert doc.text[ev.start:ev.end].replace(",", "") == ev.text.replace(",", "")
            assert float(v.evidence[0].text.replace(",", "")) == v.value
    # usage: one call per eight rows printing one number (the old table's rows), plus the re-reads of the
    # rows behind the seed's own inconsistencies
    reads = [c for c in ext.last_calls if c.purpose == "read"]
    rereads = [c for c in ext.last_calls if c.purpose == "reread"]
    tasks = locate(doc, "2008")
    printed = [t for t in tasks if t.has_digits(doc.text)]
    assert len(tasks) == 60 and len(printed) == 46 and rereads  # a row printing no number needs no call
    assert len(reads) == len(chunk(printed, doc.text)) == 6
    blank_row = next(t for t in tasks if not t.has_digits(doc.text))
    assert all(result.values[k].value is None for k in blank_row.keys)
    assert result.usage.calls == len(srv.requests) == len(reads) + len(rereads)
    # every call is kept with the result, its tokens adding up to the report's
    assert [c.purpose for c in result.usage.per_call] == [c.purpose for c in ext.last_calls]
    assert sum(c.prompt_tokens for c in result.usage.per_call) == result.usage.prompt_tokens
    assert all(c.label for c in result.usage.per_call)
    assert result.usage.prompt_tokens > 0 and result.usage.cost == pytest.approx(
        (result.usage.prompt_tokens * 1.0 + result.usage.completion_tokens * 2.0) / 1e6)
    # the report's own inconsistencies are still reported, not repaired
    rules = {f.rule for f in result.report_findings()}
    assert any("回应解读" in f.message or "old.回应解读总数" in f.keys for f in result.report_findings()), rules


def test_fake_server_reread_quotes_the_failed_rule_once():
    path = _seed()
    with FakeOpenAIServer("copy") as srv:
        ext = LLMExtractor(_cfg(srv.base_url))
        extract(path, extractor=ext)
    rereads = [r for r in srv.requests if len([m for m in r["messages"] if m["role"] == "user"]) == 2]
    assert rereads, "a failed identity must trigger a re-read"
    last = rereads[0]["messages"][-1]["content"]
    assert "校验规则未通过" in last and "不要为了让数字相加而修改" in last
    labels = {c.label for c in ext.last_calls if c.purpose == "reread"}
    assert len(labels) == len([c for c in ext.last_calls if c.purpose == "reread"])  # once per row
    # only rows the model read are read again: the seed's blank rows behind its two broken identities
    # (1.政府公报…, 4.政务微信…, 4.微博微信回应事件数) were read without it and cannot have broken them
    assert not labels & {"1.政府公报公开政府信息数", "4.政务微信公开政府信息数", "4.微博微信回应事件数"}
    assert len(labels) == 2  # the read rows of each rule, together (five calls when the blank rows went too)


def test_fake_server_invented_number_is_reasked_then_held_back_for_a_person():
    path = FMT2021
    with FakeOpenAIServer("invent") as srv:
        ext = LLMExtractor(_cfg(srv.base_url))
        result = extract(path, extractor=ext)
    key = "t2.行政许可.处理决定数量"
    v = result.values[key]
    # a wrong value is worse than a missing one: no value, the model's number kept as the reading to pick
    assert v.value is None and v.grounded is False and v.status == "text" and v.choices == [987654]
    assert key not in result.flat()
    (doubt,) = [f for f in result.extraction_findings() if f.rule == "extract.ungrounded" and key in f.keys]
    assert doubt.detail["reading"] == 987654 and "未作为数值采用" in doubt.message
    # each read was sent twice: the answer, then the re-ask quoting the grounding error
    first = [c for c in ext.last_calls if c.purpose == "read"]
    assert all(c.completions == 2 for c in first)
    reask = next(r for r in srv.requests if len(r["messages"]) > 2)
    assert "987654" in reask["messages"][-1]["content"]


def test_fake_server_reask_fixes_an_invented_number():
    with FakeOpenAIServer("invent_once") as srv:
        ext = LLMExtractor(_cfg(srv.base_url))
        result = extract(FMT2021, extractor=ext)
    reader = extract(FMT2021).flat()  # the table reader's values (tests/test_reader.py checks them)
    assert all(v.grounded for v in result.values.values())
    assert result.flat() == reader
    assert result.usage.calls == 2 * len([c for c in ext.last_calls if c.purpose == "read"]) + \
        sum(c.completions for c in ext.last_calls if c.purpose == "reread")


@pytest.mark.parametrize("behaviour, failure, words", [
    ("timeout", "timeout", "did not answer within"),
    ("429", "rate_limit", "429"),
    ("500", "server", "HTTP 500"),
    ("invalid_json", "invalid", "not valid JSON"),
])
def test_fake_server_faults_become_findings_and_hybrid_keeps_the_reader(behaviour, failure, words):
    with FakeOpenAIServer(behaviour) as srv:
        cfg = _cfg(srv.base_url, timeout=1.0, retries=1)
        llm = extract(FMT2021, extractor=LLMExtractor(cfg))
        n_llm = len(srv.requests)
        hybrid = extract(FMT2021, extractor=HybridExtractor(cfg))
    failed = [f for f in llm.extraction_findings() if f.rule == "extract.llm_failed"]
    assert failed and failed[0].detail["failure"] == failure and words in failed[0].message
    # nothing invented in place of the failed calls: only the rows printing nothing but zeros, read without a call
    assert llm.values and all(v.value == 0 and v.evidence[0].kind == "table" for v in llm.values.values())
    if behaviour == "invalid_json":  # the model's fault, not the endpoint's: every call made, and re-asked once
        doc, _ = read_document(FMT2021)
        tasks = locate(doc, "2021")
        assert n_llm == 2 * len(chunk([t for t in tasks if t.needs_model(doc.text)], doc.text))
    else:  # a failing endpoint is not hammered: after three failed calls the rest are skipped
        assert n_llm <= (cfg.concurrency + 3) * 2  # retries=1: two requests per call
        assert any(f.detail.get("failure") == "skipped" for f in llm.extraction_findings())
    reader = extract(FMT2021).flat()
    assert hybrid.flat() == reader
    zero_rows = set(llm.values)  # read without a call, so both sides have them
    assert {v.agreement for k, v in hybrid.values.items() if k not in zero_rows} == {"rules_only"}
    assert {hybrid.values[k].agreement for k in zero_rows} == {"agreed"}
    assert any(f.rule == "extract.llm_failed" for f in hybrid.extraction_findings())


def test_fake_server_wrong_key_is_one_clear_error_and_hybrid_still_reads():
    with FakeOpenAIServer("401") as srv:
        with pytest.raises(BackendError, match="refused the API key.*XXGK_LLM_API_KEY"):
            extract(FMT2021, extractor=LLMExtractor(_cfg(srv.base_url)))
        hybrid = extract(FMT2021, extractor=HybridExtractor(_cfg(srv.base_url)))
    assert hybrid.flat() == extract(FMT2021).flat()
    f = next(f for f in hybrid.extraction_findings() if f.rule == "extract.llm_unavailable")
    assert "refused the API key" in f.message


def test_unreachable_endpoint_is_one_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    cfg = _cfg(f"http://127.0.0.1:{port}/v1")
    with pytest.raises(BackendError, match=f"cannot reach the LLM endpoint http://127.0.0.1:{port}/v1"):
        extract(FMT2021, extractor=LLMExtractor(cfg))
    hybrid = extract(FMT2021, extractor=HybridExtractor(cfg))
    assert hybrid.flat() == extract(FMT2021).flat()


def test_fake_server_cache_makes_a_rerun_free(tmp_path):
    with FakeOpenAIServer("copy") as srv:
        cfg = _cfg(srv.base_url, cache=True, cache_dir=str(tmp_path))
        first = extract(FMT2021, extractor=LLMExtractor(cfg))
        sent = len(srv.requests)
        second = extract(FMT2021, extractor=LLMExtractor(cfg))
        assert len(srv.requests) == sent  # nothing sent the second time
        other = extract(FMT2021, extractor=LLMExtractor(_cfg(srv.base_url, cache=True, cache_dir=str(tmp_path),
                                                              model="another-model")))
        assert len(srv.requests) == 2 * sent  # another model is another key
    assert second.flat() == first.flat()
    assert second.usage.calls == 0 and second.usage.cost == 0
    assert second.usage.cached_calls == first.usage.calls == sent
    assert other.usage.cached_calls == 0


def test_fake_server_hybrid_conflict_keeps_reader_value_and_asks_a_person():
    def off_by_one(body):
        answer = copy_row(body)
        if "行政处罚" in body["messages"][1]["content"]:
            answer = every_cell(answer, 1204)  # a number printed elsewhere in the report, not in this row
        return answer

    with FakeOpenAIServer(off_by_one) as srv:
        result = extract(FMT2021, extractor=HybridExtractor(_cfg(srv.base_url)))
    v = result.values["t2.行政处罚.处理决定数量"]
    assert v.value == 387 and v.other == 1204 and v.agreement == "conflict"
    conflict = next(f for f in result.extraction_findings() if f.rule == "extract.conflict")
    assert conflict.keys == ["t2.行政处罚.处理决定数量"] and conflict.expected == 387 and conflict.actual == 1204
    assert result.values["t2.行政许可.处理决定数量"].agreement == "agreed"
    assert result.extractor == "hybrid" and result.model == "fake-model"


def test_fake_server_hybrid_llm_alone_where_the_reader_finds_no_table(tmp_path):
    # table 二 printed as sentences, which the table reader does not take for a table's cells
    lines = ["2022年政府信息公开工作年度报告", "二、主动公开政府信息情况", "行政许可决定：1204件。", "行政处罚决定387件，",
             "行政强制决定12件。",
             "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"]
    path = tmp_path / "prose-only.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reader = extract(path)
    assert "t2.行政许可.处理决定数量" not in reader.values
    with FakeOpenAIServer("copy") as srv:
        result = extract(path, extractor=HybridExtractor(_cfg(srv.base_url)))
    v = result.values["t2.行政许可.处理决定数量"]
    assert v.value == 1204 and v.agreement == "llm_only" and v.grounded
    assert any(f.rule == "extract.llm_only" and f.detail["table"] == "t2" for f in result.extraction_findings())


def test_fake_server_hybrid_keeps_the_readers_value_where_the_model_gives_a_number_printed_nowhere():
    key = "t2.行政许可.处理决定数量"
    reader = extract(FMT2021)
    with FakeOpenAIServer("invent") as srv:
        result = extract(FMT2021, extractor=HybridExtractor(_cfg(srv.base_url)))
    v = result.values[key]
    assert v.value == reader.values[key].value is not None and v.agreement == "conflict" and v.other == 987654
    (conflict,) = [f for f in result.extraction_findings() if f.rule == "extract.conflict" and key in f.keys]
    assert conflict.actual == 987654 and "模型读取为 987654" in conflict.message
    assert conflict.detail["llm_grounded"] is False
    # the reader's value stands there: nothing is held back, so no doubt asks a person to pick the model's number
    assert not [f for f in result.extraction_findings() if f.rule == "extract.ungrounded" and key in f.keys]


def test_fake_server_500_is_retried_with_backoff_then_reported():
    from extractor.llm.client import LLMClient
    from extractor.llm.extractor import run_sync
    from extractor.llm.locate import RowTask
    from extractor.llm.models import row_model

    task = RowTask(table="t2", row_id="行政许可", label="行政许可", keys=("t2.行政许可.处理决定数量",),
                   fields=("处理决定数量",), columns=("本年处理决定数量",), decimal=(False,), start=0, end=9,
                   value_start=5)
    with FakeOpenAIServer("500") as srv:
        async def one():
            client = LLMClient(_cfg(srv.base_url, retries=2, concurrency=1))
            try:
                return await client.ask([{"role": "user", "content": "数值：1204"}], row_model(task), None)
            finally:
                await client.close()

        answer = run_sync(one())
    assert len(srv.requests) == 3  # the first try and two retries
    assert answer.data is None and answer.failure == "server" and "HTTP 500" in answer.message
    assert "2 retries" in answer.message


def test_a_number_printed_nowhere_in_its_row_is_the_one_row_read_again_behind_the_identities_it_breaks():
    """The model answers 987654 in every cell of table 三's （七）总计 row (printed nowhere there): the balance
    and results-total identities of all seven columns fail, and that row alone is read again — not every row
    of table 三 behind them (twelve calls before)."""

    def misread_total(body: dict) -> dict:
        answer = copy_row(body)
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        return every_cell(answer, 987654) if "（七）总计" in user else answer

    with FakeOpenAIServer(misread_total) as srv:
        ext = LLMExtractor(_cfg(srv.base_url))
        result = extract(FMT2021, extractor=ext)
    assert [c.label for c in ext.last_calls if c.purpose == "reread"] == ["（七）总计"]
    total = result.values["t3.办理结果总计.总计"]
    # the re-read misread it again: held back for a person, not hidden (the number is the reading offered)
    assert total.value is None and total.grounded is False and total.choices == [987654]
    assert result.values["t3.予以公开.总计"].value == extract(FMT2021).values["t3.予以公开.总计"].value
