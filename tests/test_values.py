"""A row's values: the first run of value tokens after its label, read into its cells."""

from __future__ import annotations

from extractor import extract
from extractor.ingest.text import parse_text
from extractor.reader.stream import build_stream
from extractor.reader.values import readings


def _tokens(text: str):
    return [t for t in build_stream(parse_text(text)).tokens if t.is_value]


def test_the_next_rows_enumerator_run_into_the_digits_is_cut_off(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("2012年政府信息公开工作年度报告 附件1：政府信息公开情况统计表 指标名称计量单位2012年度历年累计"
                    "受理依申请公开信息总数条2121其中：1.当面申请数条18182.传真申请数条003.电子邮件申请数条33"
                    "对申请的答复数条2121其中：1.同意公开答复数条17172.同意部分公开答复数条223.否决公开答复数条22\n",
                    encoding="utf-8")
    flat = extract(path).flat()
    assert flat["old.申请.传真"] == 0 and flat["old.申请.传真.历年累计"] == 0  # "002." is 0, 0 and the enumerator
    assert flat["old.申请.当面"] == 18 and flat["old.申请.电子邮件.历年累计"] == 3
    assert flat["old.答复.部分公开"] == 2 and flat["old.答复.不同意公开"] == 2


def test_spaces_are_cell_borders_and_the_rest_is_split_by_the_row_total():
    cands, one, problem = readings(_tokens("230 000023\n"), 7, decimal=(False,) * 7, signed=(False,) * 7,
                                   check=lambda p: len(p) < 7 or sum(p[:6]) == p[6])
    assert (cands, one, problem) == ([(23, 0, 0, 0, 0, 0, 23)], False, None)


def test_run_together_dashes_are_one_blank_cell_each():
    cands, _, _ = readings(_tokens("1———\n"), 4, decimal=(False,) * 4, signed=(False,) * 4)
    assert (1, None, None, None) in cands


def test_more_values_than_cells_is_no_reading():
    cands, _, problem = readings(_tokens("1 2 3 4\n"), 3, decimal=(False,) * 3, signed=(False,) * 3)
    assert cands == [] and problem == "应有 3 个数值，读到 4 个"


def test_a_sentence_is_not_a_row_but_its_row_goes_to_the_model(tmp_path):
    from extractor.llm.locate import locate

    path = tmp_path / "s.txt"
    path.write_text("2022年政府信息公开工作年度报告\n二、主动公开政府信息情况\n行政许可决定：1204件。\n"
                    "三、收到和处理政府信息公开申请情况\n", encoding="utf-8")
    assert "t2.行政许可.处理决定数量" not in extract(path).values
    from extractor.ingest import load

    tasks = locate(load(path), "2021")
    assert [t.row_id for t in tasks] == ["行政许可"]


def test_a_digit_in_a_labels_note_is_not_a_value(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text("政府信息公开情况统计表\n统计指标 单位 统计数\n"
                    "（一）主动公开政府信息数（不同渠道和方式公开相同信息计\n1条） 条 6808\n"
                    "其中：主动公开规范性文件数 条 25\n", encoding="utf-8")
    assert extract(path, template="2008").flat()["old.主动公开数"] == 6808
