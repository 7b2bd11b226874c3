"""Finding row labels in the stream: across line breaks and numbers, short forms only as labels, in order."""

from __future__ import annotations

from extractor.ingest.text import parse_text
from extractor.reader import anchors
from extractor.reader.stream import build_stream
from schemas import catalog


def _ids(text: str, table: str, template: str = "2021", ordered: bool = True) -> list[str]:
    s = build_stream(parse_text(text))
    found = anchors.find(s, list(catalog.rows(table, template)))
    cluster = anchors.best_cluster(found, s)
    return [a.spec.id for a in (anchors.chain(cluster) if ordered else cluster)]


def test_a_label_wrapped_around_its_own_numbers_is_one_label():
    text = ("一、本年新收政府信息公开申请   232  0  104  0  0  39  375\n数量\n"
            "二、上年结转政府信息公开申请数量   0 0 0 0 0 0 0\n")
    assert _ids(text, "t3") == ["本年新收", "上年结转"]


def test_short_forms_need_an_enumerator_or_values_right_after():
    # "其他" and "总计" are column headers here; only "3.其他" and "（七）总计" are rows
    text = ("自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计\n"
            "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请0000000"
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请0000000"
            "3.其他1000001（七）总计630020469\n")
    assert _ids(text, "t3") == ["其他处理", "其他处理.1", "其他处理.2", "其他处理.3", "办理结果总计"]


def test_the_longer_label_wins_where_two_overlap():
    text = "3.同意部分公开答复数 件 2\n4.不同意公开答复数 件 11\n其中：涉及国家秘密 件 3\n"
    assert _ids(text, "old", "2008", ordered=False) == ["答复.部分公开", "答复.不同意公开", "不同意.国家秘密"]


def test_a_label_quoted_in_the_prose_far_before_the_table_is_not_a_row():
    prose = "本年度共收到政府信息公开申请，其中予以公开的占多数。" + "政府信息公开工作稳步推进。" * 30
    table = "一、本年新收政府信息公开申请数量 1 0 0 0 0 0 1 （一）予以公开 1 0 0 0 0 0 1\n"
    ids = _ids(prose + "\n" + table, "t3")
    assert ids == ["本年新收", "予以公开"]
