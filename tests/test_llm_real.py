"""The LLM and hybrid extractors with the REAL 0.5B model served by llama-server on loopback.

Kept few and small for CI: the seed (60 rows) and the 2021-format fixture, each read once by the LLM
extractor into a session cache that the hybrid tests then reuse (the hybrid's model calls are the same
calls; what they test is the reconciliation). The re-ask and grounding tests run without a cache.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests import requirements

requirements.package("instructor", "llm", module_level=True)

from extractor.api import extract, read_document
from extractor.llm.client import LLMClient
from extractor.llm.config import LLMConfig
from extractor.llm.extractor import HybridExtractor, LLMExtractor, run_sync
from extractor.llm.grounding import RowGrounder
from extractor.llm.locate import RowTask
from extractor.llm.models import row_model
from extractor.llm.prompts import row_prompt
from tests.conftest import FIXTURES, SEED_GOLD, SEED_TXT
from tests.llm_server import local_server

llm_server = local_server()
pytestmark = pytest.mark.llm

FMT2021 = FIXTURES / "text" / "2022-2021format.md"


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("llm-cache"))


def _cfg(server, **kw) -> LLMConfig:
    base = {"base_url": server.base_url, "model": server.model_name, "api_key": "local", "concurrency": 2, "timeout": 300,
                "cache": False}
    base.update(kw)
    return LLMConfig(**base)


def _right(values: dict, gold: dict) -> int:
    def same(a, b):
        return (a is None and b is None) or (a is not None and b is not None and abs(float(a) - float(b)) < 1e-9)

    return sum(1 for k, v in gold.items() if k in values and same(values[k], v))


def _assert_grounded_evidence(result, path):
    doc, _ = read_document(path)
    for key, v in result.values.items():
        if v.value is None or not v.grounded:
            continue
        ev = v.evidence[-1] if v.extractor == "llm" else next(e for e in v.evidence if e.kind == "llm")
        # the model's reading, or a row printing only zeros that needed no call
        assert ev.kind == "llm" or (ev.kind == "table" and v.value == 0), key
        assert doc.text[ev.start:ev.end] == ev.text, key
        assert float(ev.text.replace(",", "")) == float(v.value), key


@pytest.fixture(scope="session")
def seed_llm(llm_server, shared_cache):
    ext = LLMExtractor(_cfg(llm_server, cache=True, cache_dir=shared_cache))
    return extract(SEED_TXT, extractor=ext), ext


@pytest.fixture(scope="session")
def fmt2021_llm(llm_server, shared_cache):
    ext = LLMExtractor(_cfg(llm_server, cache=True, cache_dir=shared_cache))
    return extract(FMT2021, extractor=ext), ext


def test_local_llm_reads_the_seed(seed_llm):
    result, ext = seed_llm
    gold = json.loads(SEED_GOLD.read_text("utf-8"))["values"]
    right = _right(result.flat(), gold)
    assert right >= 0.95 * len(gold), f"{right}/{len(gold)}"
    assert result.extractor == "llm" and result.model == "qwen2.5-coder-0.5b"
    assert result.usage.calls >= 6 and result.usage.prompt_tokens > 0 and result.usage.cached_calls == 0
    _assert_grounded_evidence(result, SEED_TXT)
    # the seed's own inconsistencies stay reported (回应解读 312 ≠ 340), never repaired by the model
    assert any("old.回应解读总数" in f.keys for f in result.report_findings())
    assert any(c.purpose == "reread" for c in ext.last_calls)


def test_local_llm_reads_the_2021_format_fixture(fmt2021_llm):
    result, _ = fmt2021_llm
    reader = extract(FMT2021).flat()  # the table reader's reading, checked value by value in test_reader.py
    right = _right(result.flat(), reader)
    assert right >= 0.95 * len(reader), f"{right}/{len(reader)}"
    assert result.template == "2021"
    _assert_grounded_evidence(result, FMT2021)


def test_local_hybrid_no_worse_than_the_reader_on_the_seed(llm_server, shared_cache, seed_llm):
    gold = json.loads(SEED_GOLD.read_text("utf-8"))["values"]
    hybrid = extract(SEED_TXT, extractor=HybridExtractor(_cfg(llm_server, cache=True, cache_dir=shared_cache)))
    reader = extract(SEED_TXT)
    assert _right(hybrid.flat(), gold) >= _right(reader.flat(), gold)
    assert hybrid.extractor == "hybrid" and hybrid.model == "qwen2.5-coder-0.5b"
    agreements = {v.agreement for v in hybrid.values.values()}
    assert "agreed" in agreements
    conflicts = [k for k, v in hybrid.values.items() if v.agreement == "conflict"]
    assert len([f for f in hybrid.findings if f.rule == "extract.conflict"]) == len(conflicts)


def test_local_hybrid_on_the_2021_format_fixture(llm_server, shared_cache, fmt2021_llm):
    hybrid = extract(FMT2021, extractor=HybridExtractor(_cfg(llm_server, cache=True, cache_dir=shared_cache)))
    assert hybrid.flat() == extract(FMT2021).flat()  # the reader's values stand, conflicts or not
    assert hybrid.usage.cached_calls > 0  # the model part was answered by the LLM test's calls


T4_INCONSISTENT = """2022年某区政府信息公开工作年度报告

四、政府信息公开行政复议、行政诉讼情况

| 行政复议 | | | | | 行政诉讼 | | | | | | | | | |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | | | | | 复议后起诉 | | | | |
| | | | | | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
| 2 | 1 | 0 | 0 | 4 | 1 | 0 | 0 | 1 | 2 | 0 | 0 | 0 | 0 | 0 |
"""


def test_local_failed_identity_triggers_one_reread_and_the_report_keeps_its_error(llm_server, tmp_path):
    path = tmp_path / "t4.md"
    path.write_text(T4_INCONSISTENT, encoding="utf-8")
    reader = extract(path)
    assert reader.values["t4.复议.总计"].value == 4  # printed 4 where 2 + 1 + 0 + 0 = 3
    ext = LLMExtractor(_cfg(llm_server))
    result = extract(path, extractor=ext)
    fuxi = [c for c in ext.last_calls if c.label == "行政复议"]
    assert [c.purpose for c in fuxi] == ["read", "reread"]  # two calls recorded for the row, one re-read
    assert all(c.completions >= 1 and c.prompt_tokens > 0 for c in fuxi)
    assert result.usage.calls == sum(c.completions for c in ext.last_calls)
    # the inconsistency is the report's own: reported, not repaired
    if result.values["t4.复议.总计"].value == 4:
        assert any("t4.复议.总计" in f.keys for f in result.report_findings())


def test_local_invented_number_never_passes_as_grounded(llm_server):
    """The model is shown a row whose printed source spells the number in words; digits it returns are not there."""
    source = "行政许可\t一千二百零四\t\n"
    shown = "行政许可\t1204\t\n"  # what the prompt shows; grounding looks at the source only
    task = RowTask(table="t2", row_id="行政许可", label="行政许可", keys=("t2.行政许可.处理决定数量",),
                   fields=("处理决定数量",), columns=("本年处理决定数量",), decimal=(False,),
                   start=0, end=len(shown) - 1, value_start=5)
    grounder = RowGrounder(source, 5, len(source) - 1)

    async def ask():
        client = LLMClient(_cfg(llm_server))
        try:
            answer = await client.ask(row_prompt(task, shown), row_model(task), grounder, label="行政许可")
            return answer, client.records
        finally:
            await client.close()

    answer, records = run_sync(ask())
    value = (answer.data or {}).get("处理决定数量")
    assert value is not None  # at temperature 0 the model copies the number it is shown
    assert answer.grounded is False  # 1204 is not printed in the source row
    assert records[0].completions == 2  # rejected by the validator, re-asked once, still not grounded
    # and the extractor's assembly marks such a value so
    ext = LLMExtractor(_cfg(llm_server))
    from extractor.document import DocumentBuilder

    b = DocumentBuilder("x.txt", "txt")
    b.add_paragraph("行政许可 一千二百零四")
    doc = b.build()
    vals = ext._values(doc, replace(task, start=0, end=len(doc.text), value_start=4), {"处理决定数量": 1204})
    v = vals["t2.行政许可.处理决定数量"]
    assert v.value == 1204 and v.grounded is False
