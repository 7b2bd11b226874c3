"""Doubtful OCR digits are held back for a person; the identities choose only between the engine's readings.

These build a Document by hand with OCR marks (what the scan reader records), so they run without the
[ocr] extra: the review step is plain logic over the marks.
"""

from __future__ import annotations

from extractor.api import check_document
from extractor.document import DocumentBuilder, OcrMark
from extractor.reader import TableReader

T4_HEADER = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def _t4_document(cells: list[str], readings: dict[int, tuple[float, list[tuple[str, float]]]]):
    """A 2021 report whose table 四 was 'scanned': every value cell carries an OCR mark."""
    b = DocumentBuilder(source_name="scan.pdf", source_type="pdf", layout="ocr")
    b.add_paragraph("洪泽区人民政府2023年政府信息公开工作年度报告", page=1)
    b.add_paragraph("四、政府信息公开行政复议、行政诉讼情况", page=1)
    grid = [["行政复议", None, None, None, None, "行政诉讼"] + [None] * 9,
            T4_HEADER + ["未经复议直接起诉", None, None, None, None, "复议后起诉", None, None, None, None],
            [None] * 5 + T4_HEADER + T4_HEADER,
            cells]
    table = b.add_table(grid, page=1)
    for i, cell in enumerate(table.rows[3]):
        conf, alts = readings.get(i, (0.99, []))
        b.ocr.append(OcrMark(cell.span.start, cell.span.end, conf, "page 1", "sha", (10 * i, 5, 10 * i + 8, 20), 1,
                             ((cell.text, conf), *alts)))
    doc = b.build()
    extraction = TableReader().extract(doc, "2021")
    return doc, check_document(doc, extraction)


def test_confident_readings_are_kept_and_marked():
    _doc, result = _t4_document(["1", "1", "0", "0", "2", "1", "0", "0", "0", "1", "2", "0", "1", "0", "3"], {})
    v = result.values["t4.复议.维持"]
    assert v.value == 1 and v.evidence[0].ocr is not None
    assert v.evidence[0].ocr.confidence == 0.99 and v.evidence[0].ocr.source == "page 1"
    assert v.evidence[0].ocr.box == (0, 5, 8, 20)
    assert not [f for f in result.findings if f.rule == "extract.ocr_doubtful"]


def test_low_confidence_digit_gives_no_value_and_a_finding_with_both_readings():
    _doc, result = _t4_document(["1", "1", "0", "0", "2", "1", "0", "0", "0", "1", "2", "0", "1", "0", "3"],
                               {1: (0.41, [("7", 0.35)])})
    v = result.values["t4.复议.纠正"]
    assert v.value is None and v.candidates == [[1], [7]]
    (f,) = [f for f in result.findings if f.rule == "extract.ocr_doubtful"]
    assert f.category == "extraction" and f.keys == ["t4.复议.纠正"]
    assert [r["value"] for r in f.detail["readings"]] == [1, 7]
    assert f.detail["crop"]["source"] == "page 1" and f.detail["crop"]["box"] == [10, 5, 18, 20]
    assert "“1”" in f.message and "“7”" in f.message


def test_identities_choose_between_readings_only_when_the_runner_up_fits():
    # 复议 总计 printed 2 but read "7" (1+1+0+0 = 2): the engine's runner-up "2" makes the sum hold
    _doc, result = _t4_document(["1", "1", "0", "0", "7", "1", "0", "0", "0", "1", "2", "0", "1", "0", "3"],
                               {4: (0.93, [("2", 0.05)])})
    v = result.values["t4.复议.总计"]
    assert v.value is None and v.candidates == [[7], [2]]
    assert [f.detail["reason"] for f in result.findings if f.rule == "extract.ocr_doubtful"] == ["identity"]
    # the held value no longer makes a report finding: a person decides first
    assert not [f for f in result.report_findings() if "t4.复议.总计" in f.keys]


def test_a_sum_the_report_prints_wrong_stays_a_report_finding():
    # 总计 0 against 10+1: no reading of the engine fits, so the printed 0 stands and the rule fires
    _doc, result = _t4_document(["10", "1", "0", "0", "0", "0", "0", "0", "0", "0", "5", "0", "0", "0", "0"],
                               {4: (0.97, [("8", 0.01), ("6", 0.03)])})
    assert result.values["t4.复议.总计"].value == 0
    assert not [f for f in result.findings if f.rule == "extract.ocr_doubtful"]
    assert [f.rule for f in result.report_findings()].count("t4.group_total") == 2


def test_documents_without_ocr_are_untouched():
    b = DocumentBuilder(source_name="r.txt", source_type="txt")
    b.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    doc = b.build()
    extraction = TableReader().extract(doc, "2021")
    result = check_document(doc, extraction)
    assert all(e.ocr is None for v in result.values.values() for e in v.evidence)
