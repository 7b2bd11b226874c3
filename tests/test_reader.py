"""The table reader: labels, digit splits, prose figures, and whole tables in every text layout."""

from __future__ import annotations

import subprocess

import pytest

from extractor import extract
from extractor.reader.labels import best_match
from extractor.reader.values import readings
from extractor.text import canonical, core
from schemas import catalog
from tests import requirements
from tests.conftest import FIXTURES, REAL, REAL_REPORTS, load_gold, real_pdf


# ----------------------------------------------------------------------------- labels
@pytest.mark.parametrize("printed, row_id", [
    ("（二）部分公开（区分处理的，只计这一情 形，不", "部分公开"),
    ("(二)部分公开", "部分公开"),
    ("2.其他法律行政止公开", "不予公开.2"),
    ("3.危及“三安全一稳定”", "不予公开.3"),
    ("4.无正当理由大量反复 申请", "不予处理.4"),
    ("5.要求行政机关确认或重 新出具", "不予处理.5"),
    ("1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请", "其他处理.1"),
    ("（七）总计", "办理结果总计"),
    ("3.其他", "其他处理.3"),
])
def test_t3_labels_match_despite_breaks_spaces_and_typos(printed, row_id):
    m = best_match(printed, [r for r in catalog.rows("t3", "2021") if not r.header_only])
    assert m is not None and m.row.id == row_id


def test_label_forms():
    assert canonical("（一） 主动公开政府信息数") == "主动公开政府信息数"
    assert core("(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)") == "主动公开政府信息数"
    assert core("其中：主动公开规范性文件数") == "主动公开规范性文件数"


def test_unrelated_label_does_not_match():
    assert best_match("区政府门户网站建设情况", catalog.rows("t3", "2021")) is None


# ----------------------------------------------------------------------------- run-together digits
def _digits(text: str):
    from extractor.reader.stream import Token

    return [Token("number", text, 0, len(text), 0)]


def _row_total(prefix) -> bool:
    return len(prefix) < 7 or sum(prefix[:6]) == prefix[6]


def test_split_with_row_total_is_unique():
    assert readings(_digits("1000001"), 7, decimal=(False,) * 7, signed=(False,) * 7,
                    check=_row_total)[0] == [(1, 0, 0, 0, 0, 0, 1)]


def test_split_keeps_every_candidate_that_fits():
    cands = readings(_digits("693665"), 3, decimal=(False,) * 3, signed=(False,) * 3,
                     check=lambda p: len(p) < 3 or p[2] >= p[0] - p[1])[0]
    assert (69, 3, 665) in cands and len(cands) > 1
    assert all(c[2] >= c[0] - c[1] for c in cands)


def test_split_never_invents_leading_zeros():
    cands = readings(_digits("10203"), 3, decimal=(False,) * 3, signed=(False,) * 3)[0]
    assert cands and all(not any(str(x).startswith("0") and x != 0 for x in c) for c in cands)
    assert readings(_digits("05"), 2, decimal=(False,) * 2, signed=(False,) * 2)[0] == [(0, 5)]


def test_flattened_table_four_splits_by_group_totals():
    def groups(p) -> bool:
        return len(p) % 5 or sum(p[-5:-1]) == p[-1]

    cands = readings(_digits("210031001200000"), 15, decimal=(False,) * 15, signed=(False,) * 15, check=groups)[0]
    assert cands == [(2, 1, 0, 0, 3, 1, 0, 0, 1, 2, 0, 0, 0, 0, 0)]


def test_a_signed_column_takes_the_minus_and_a_money_column_the_decimals():
    from extractor.reader.stream import Token

    toks = [Token("number", "322", 0, 3, 0), Token("number", "-12239", 3, 9, 0, sep_before=False)]
    cands = readings(toks, 3, decimal=(False,) * 3, signed=(False, True, False))[0]
    assert (322, -12, 239) in cands and all(c[1] < 0 for c in cands)
    money = readings(_digits("13575394432.52"), 2, decimal=(False, True), signed=(False, False))[0]
    assert (135, 75394432.52) in money and all(isinstance(c[1], float) for c in money)


# ----------------------------------------------------------------------------- whole reports
def _gold_2021_fixture() -> dict[str, float]:
    r = extract(FIXTURES / "text" / "2022-2021format.md")
    return r.flat()


def test_markdown_2021_report_reads_every_cell_and_raises_nothing():
    r = extract(FIXTURES / "text" / "2022-2021format.md")
    assert r.meta.template == "2021" and r.meta.year == 2022
    flat = r.flat()
    assert len([k for k in flat if k.startswith("t3.")]) == 175  # 25 rows × 7, （六） printed as three rows
    assert flat["t2.行政规范性文件.现行有效"] == 665 and flat["t2.行政事业性收费.收费金额"] == 56.3
    assert flat["t3.无法提供.1.社会公益组织"] == 1 and flat["t3.办理结果总计.总计"] == 36
    assert [flat[f"t4.诉讼未经复议.{c}"] for c in ("维持", "纠正", "其他", "尚未审结", "总计")] == [1, 0, 0, 1, 2]
    assert [f.rule for f in r.findings] == []
    assert r.prose_values["t3.本年新收.总计"].value == 33
    assert r.prose_values["t4.复议.总计"].value == 3


def test_run_together_report_settles_splits_by_identities_and_asks_for_the_rest():
    r = extract(FIXTURES / "text" / "2022-2021format-runtogether.txt")
    flat = r.flat()
    reference = _gold_2021_fixture()
    same = [k for k in reference if flat.get(k) == reference[k]]
    assert len(same) == len(reference) - 2  # all but the two open cells of 行政规范性文件
    v = r.values["t2.行政规范性文件.本年制发"]
    assert v.value is None and [69, 3, 665] in v.candidates
    doubts = [f for f in r.findings if f.rule == "extract.ambiguous_split"]
    assert len(doubts) == 1 and doubts[0].category == "extraction"
    assert flat["t2.行政规范性文件.现行有效"] == 665  # the prose figure settles the third cell
    assert [f for f in r.findings if f.category == "report"] == []


@pytest.mark.parametrize("slug", REAL_REPORTS)
def test_real_reports_as_pdftotext_layout_text(slug, tmp_path):
    pdf = real_pdf(slug)
    pdftotext = requirements.pdftotext()
    out = tmp_path / f"{slug}.txt"
    subprocess.run([pdftotext, "-layout", str(pdf), str(out)], check=True)
    r = extract(out)
    gold = load_gold(REAL / f"{slug}.gold.json")
    flat = r.flat()
    assert {k: flat.get(k) for k in gold["values"]} == gold["values"]
    assert r.meta.agency == gold["meta"]["agency"] and r.meta.year == gold["meta"]["year"]


def test_label_and_number_in_one_cell_after_a_colon():
    from extractor.document import DocumentBuilder
    from extractor.reader import TableReader

    b = DocumentBuilder("t.html", "html")
    b.add_table([["信息内容", "本年处理决定数量"], ["行政许可：1204", None], ["行政处罚：３８７", None]])
    ex = TableReader().extract(b.build(), "2021")
    assert ex.values["t2.行政许可.处理决定数量"].value == 1204
    assert ex.values["t2.行政处罚.处理决定数量"].value == 387


def test_old_table_reads_the_second_column_historical_totals() -> None:
    from extractor import extract
    from tests.old_two_columns import two_column_html

    html, printed = two_column_html(4, 2016, lambda v: v * 3 + 11)
    result = extract(html, name="two-columns.html")
    cumulative = {k: v.value for k, v in result.values.items() if k.endswith(".历年累计")}
    assert len(cumulative) == len(printed) > 20
    annual = {k: result.values[k.removesuffix(".历年累计")].value for k in cumulative}
    assert all(cumulative[k] == annual[k] * 3 + 11 for k in cumulative)  # each read beside its own row
    assert not [f for f in result.findings if f.rule == "old.cumulative"]


def test_blank_cells_of_a_web_page_are_blank_values_in_table_three_and_four(tmp_path):
    """The page's HTML of the 2019 form leaves （六）其他处理 and table 四 empty (&nbsp;): every key of
    those rows is read as blank (null, as the gold files have it), none as 0 and none left out."""
    import re

    from evals.generator import generate, render

    report = generate(3, "2019")
    html = render(report, "html").decode("utf-8")
    html = re.sub(r"(<td colspan=\"2\">（六）其他处理</td>)(<td>0</td>){7}", r"\1" + "<td>&nbsp;</td>" * 7, html)
    t4 = re.search(r"(</tr>\n)(<tr>(?:<td>\d+</td>){15}</tr>)(\n</table>\n<h2>五)", html)
    assert t4 is not None
    html = html.replace(t4.group(2), "<tr>" + "<td>&nbsp;</td>" * 15 + "</tr>")
    path = tmp_path / "blank.html"
    path.write_text(html, encoding="utf-8")
    r = extract(path)
    flat = r.flat()
    for c in catalog.columns("t3"):
        assert flat[f"t3.其他处理.{c.id}"] is None and r.values[f"t3.其他处理.{c.id}"].status == "blank"
    for k in (k for k in catalog.keys("2019") if k.startswith("t4.")):
        assert flat[k] is None and r.values[k].status == "blank"
    assert flat["t3.办理结果总计.总计"] == report.values["t3.办理结果总计.总计"]
    assert not [f for f in r.findings if f.rule in ("extract.table_missing", "extract.missing")]
