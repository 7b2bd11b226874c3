"""Grounding of model answers in the printed row, think-tag stripping and the cache key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests import requirements

requirements.package("instructor", "llm", module_level=True)

from pydantic import ValidationError

from extractor.llm.cache import cache_key
from extractor.llm.grounding import RowGrounder, strip_reasoning
from extractor.llm.locate import RowTask
from extractor.llm.models import answer_json, row_model

TEXT = ("前文 12 件\n(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)\t条\t42658\t\n"
        "三、(一)予以公开\t5\t0\t\t0\t5\t1,204\t7.5\n")


def _grounder(line_no: int, after: str) -> RowGrounder:
    lines = TEXT.split("\n")
    start = sum(len(x) + 1 for x in lines[:line_no])
    end = start + len(lines[line_no])
    return RowGrounder(TEXT, start + lines[line_no].index(after), end, page=3)


def test_grounds_each_number_at_its_printed_offset_in_column_order():
    g = _grounder(2, "\t5")
    found = g.locate([5, 0, None, 0, 5, 1204, 7.5])
    assert [e.text if e else None for e in found] == ["5", "0", None, "0", "5", "1,204", "7.5"]
    assert found[3].start > found[1].start  # the second 0 is the second printed 0, not the first again
    assert found[4].start > found[0].start
    assert all(TEXT[e.start:e.end] == e.text and e.page == 3 and e.kind == "llm" for e in found if e)


def test_rejects_numbers_absent_from_the_row():
    g = _grounder(2, "\t5")
    assert g.missing({"a": 5, "b": 6, "c": 1204, "d": 12, "e": None}) == ["b", "d"]  # 12 is printed, in another line


def test_number_inside_the_label_does_not_ground():
    g = _grounder(1, "\t条")
    assert g.missing({"统计数": 1}) == ["统计数"]  # the "1" of "计1条" is label text
    assert g.missing({"统计数": 42658}) == []


def test_run_together_digits_ground_only_as_an_exact_split_of_the_run():
    text = "行政规范性文件 279210\n"
    tight = RowGrounder(text, 8, 15, digits_only=True)
    found = tight.locate([27, 9, 210])
    assert [(e.text, text[e.start:e.end]) for e in found] == [("27", "27"), ("9", "9"), ("210", "210")]
    assert tight.missing({"a": 279210, "b": 0, "c": 279210}) == ["a", "b", "c"]  # the whole run copied is no split
    assert tight.missing({"a": 27, "b": 9, "c": 21}) == ["a", "b", "c"]
    loose = RowGrounder(text, 8, 15, digits_only=False)
    assert loose.missing({"a": 27}) == ["a"]  # inside a longer number, outside a run-together row


@pytest.mark.parametrize("raw, clean", [
    ('<think>先看第一列…5 还是 6？</think>\n{"a": 5}', '{"a": 5}'),
    ('<THINK>\nx\n</THINK>```json\n{"a": 5}\n```', '{"a": 5}'),
    ('{"a": 5}', '{"a": 5}'),
    ('<think>never closed {"a": 6}', ""),
])
def test_strip_reasoning(raw, clean):
    assert strip_reasoning(raw) == clean


def _task(fields=("自然人", "总计"), columns=("自然人", "总计")) -> RowTask:
    return RowTask(table="t3", row_id="予以公开", label="（一）予以公开",
                   keys=tuple(f"t3.予以公开.{f}" for f in fields),
                   fields=fields, columns=columns, decimal=(False,) * len(fields), start=0, end=0, value_start=0)


def test_response_model_rejects_ungrounded_numbers_through_the_validation_context():
    model = row_model(_task())
    g = _grounder(2, "\t5")
    ok = model.model_validate_json('<think>…</think>{"数值": [5, 1204]}', context={"grounder": g})
    assert ok.numbers() == {"自然人": 5, "总计": 1204}
    with pytest.raises(ValidationError, match="总计=1205"):
        model.model_validate_json('{"数值": [5, 1205]}', context={"grounder": g})
    # without a context (parsing a stored answer) only the structure is checked
    assert model.model_validate_json('{"数值": [5, 1205]}').numbers()["总计"] == 1205


def test_response_model_wants_exactly_one_cell_per_column():
    model = row_model(_task())
    with pytest.raises(ValidationError):
        model.model_validate_json('{"数值": [5]}')
    with pytest.raises(ValidationError):
        model.model_validate_json('{"数值": [5, 1204, 7]}')
    assert model.model_validate_json('{"数值": [null, 3.0]}').numbers() == {"自然人": None, "总计": 3}


def test_response_model_is_one_array_in_column_order_described_by_the_catalog_labels():
    schema = row_model(_task()).model_json_schema()
    cells = schema["properties"]["数值"]
    assert list(schema["properties"]) == ["数值"] and schema["required"] == ["数值"]
    assert cells["minItems"] == cells["maxItems"] == 2
    assert cells["description"].index("自然人") < cells["description"].index("总计")
    assert {"type": "null"} in cells["items"]["anyOf"] and {"type": "integer"} in cells["items"]["anyOf"]


def test_money_rows_take_decimals_and_the_reask_quotes_the_answer_as_the_model_writes_it():
    task = _task(("收费",), ("收取信息处理费（万元）",))
    task = RowTask(**{**{f: getattr(task, f) for f in task.__dataclass_fields__}, "decimal": (True,)})
    model = row_model(task)
    assert model.model_validate_json('{"数值": [0.35]}').numbers() == {"收费": 0.35}
    assert answer_json({"自然人": 5, "总计": None}) == '{"数值":[5,null]}'


def test_cache_key_changes_with_the_schema_and_messages():
    msgs = [{"role": "user", "content": "x"}]
    a = row_model(_task()).model_json_schema()
    b = row_model(_task(("自然人", "其他"), ("自然人", "其他"))).model_json_schema()
    assert cache_key("m", msgs, a) == cache_key("m", msgs, dict(a))
    assert cache_key("m", msgs, a) != cache_key("m", msgs, b)
    assert cache_key("m", msgs, a) != cache_key("m2", msgs, a)
    assert cache_key("m", msgs, a) != cache_key("m", [{"role": "user", "content": "y"}], a)


def test_cells_that_line_up_with_columns_ground_by_position():
    text = "行政复议\t10\t1\t0\t0\t0\t\n"
    task = RowTask(table="t4", row_id="复议", label="行政复议", keys=tuple(f"t4.复议.{c}" for c in "abcde"),
                   fields=("维持", "纠正", "其他", "尚未审结", "总计"),
                   columns=("维持", "纠正", "其他", "尚未审结", "总计"),
                   decimal=(False,) * 5, start=0, end=len(text) - 1, value_start=5)
    assert task.values_text(text) == "[10, 1, 0, 0, 0]"
    shown = "行政复议\t1,204\t—\t\t／\t０\t\n"  # separators dropped, blank/—// as null, full-width digits read
    assert replace(task, end=len(shown) - 1).values_text(shown) == "[1204, null, null, null, 0]"
    g = RowGrounder(text, task.value_start, task.end, slots=task.slots(text))
    assert g.missing({"维持": 10, "纠正": 1, "其他": 0, "尚未审结": 0, "总计": 0}) == []
    # the sum a model expects, written into the total column, is printed in the row but not in that column
    assert g.missing({"维持": 10, "纠正": 1, "其他": 0, "尚未审结": 0, "总计": 10}) == ["总计"]
    assert g.missing({"维持": 1, "纠正": 0, "其他": 0, "尚未审结": 0, "总计": 10}) == ["维持", "纠正", "总计"]


def _row(text: str, n: int, runtogether: bool = False, decimal: bool = False) -> RowTask:
    fields = tuple(f"c{i}" for i in range(n))
    return RowTask(table="t4", row_id="复议", label="行政复议", keys=tuple(f"t4.复议.{f}" for f in fields),
                   fields=fields, columns=fields, decimal=(decimal,) * n, start=0, end=len(text.rstrip("\n")),
                   value_start=5, runtogether=runtogether)


@pytest.mark.parametrize("text, n, runtogether, want", [
    ("行政复议\t0\t—\t\t０\t\n", 4, False, [0, None, None, 0]),  # cells: which one is blank is certain
    ("行政复议\t0\t5\t0\t0\t\n", 4, False, None),  # a number to read
    ("行政复议\t0\t0.5\t\n", 2, False, None),
    ("行政复议 0   0   0\n", 3, False, [0, 0, 0]),  # layout text: one zero per column
    ("行政复议 0   —   0\n", 3, False, None),  # which column the dash is in is the model's job
    ("行政复议 0   0\n", 3, False, None),  # a blank somewhere: not certain where
    ("行政复议 0000\n", 4, True, [0, 0, 0, 0]),  # run together, one digit per column
    ("行政复议 000\n", 4, True, None),
    ("行政复议\t\t—\t\n", 2, False, [None, None]),
])
def test_rows_printing_only_zeros_are_read_without_a_model(text, n, runtogether, want):
    task = _row(text, n, runtogether)
    got = task.zeros(text)
    assert (None if got is None else list(got.values())) == want
    assert task.needs_model(text) == (want is None and task.has_digits(text))


def test_a_money_row_of_zeros_reads_as_decimals():
    text = "行政复议\t0.00\t0\t\n"
    assert _row(text, 2, decimal=True).zeros(text) == {"c0": 0.0, "c1": 0.0}
    assert all(isinstance(v, float) for v in _row(text, 2, decimal=True).zeros(text).values())
