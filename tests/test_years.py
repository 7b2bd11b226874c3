"""Pairing reports by agency and year, and the ``xxgk years`` command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from extractor import extract
from extractor.cli import main
from extractor.years import agency_key, check_years
from schemas.results import DocumentInfo, ReportMeta, Result, Value
from tests.conftest import real_pdf


def _report(name: str, agency: str | None, year: int | None, carried: int = 0, carry_on: int = 0,
            template: str = "2021") -> Result:
    values = {"t3.上年结转.总计": Value(key="t3.上年结转.总计", value=carried, raw=str(carried)),
              "t3.结转下年度.总计": Value(key="t3.结转下年度.总计", value=carry_on, raw=str(carry_on))}
    return Result(document=DocumentInfo(name=name), values=values,
                  meta=ReportMeta(agency=agency, year=year, template=template))  # type: ignore[arg-type]


def test_agency_names_compare_across_width_and_spacing() -> None:
    assert agency_key("淮安市洪泽区 人民政府") == agency_key("淮安市洪泽区人民政府")
    assert agency_key("ＸＸ市（本级）") == agency_key("XX市(本级)")
    assert agency_key(None) == ""


def test_consecutive_years_of_one_agency_are_paired_in_year_order() -> None:
    reports = [
        _report("a2022.pdf", "甲区人民政府", 2022, carried=3, carry_on=4),
        _report("a2021.pdf", "甲区人民政府", 2021, carried=0, carry_on=3),
        _report("a2023.pdf", "甲区 人民政府", 2023, carried=5, carry_on=0),  # 5 ≠ last year's 4
        _report("b2021.pdf", "乙局", 2021),
        _report("b2023.pdf", "乙局", 2023),  # no 2022 between them
    ]
    report = check_years(reports)
    assert [(p.previous.document.name, p.current.document.name) for p in report.pairs] == [
        ("a2021.pdf", "a2022.pdf"), ("a2022.pdf", "a2023.pdf")]
    assert [len(p.findings) for p in report.pairs] == [0, 1]
    finding = report.pairs[1].findings[0]
    assert (finding.rule, finding.actual, finding.expected) == ("years.t3_carry_over", 5, 4)
    assert report.findings == 1
    assert sorted(u.result.document.name for u in report.unpaired) == ["b2021.pdf", "b2023.pdf"]


def test_reports_that_cannot_be_paired_say_why() -> None:
    reports = [_report("x.pdf", None, 2021), _report("y.pdf", "丙局", None),
               _report("z1.pdf", "丁局", 2021), _report("z2.pdf", "丁局", 2021), _report("z0.pdf", "丁局", 2020)]
    report = check_years(reports)
    reasons = {u.result.document.name: u.reason for u in report.unpaired}
    assert reasons["x.pdf"].startswith("未识别出机关名称")
    assert reasons["y.pdf"].startswith("未识别出报告年度")
    assert "z1.pdf" in reasons["z2.pdf"] and "same agency and year" in reasons["z2.pdf"]
    assert [(p.previous.document.name, p.current.document.name) for p in report.pairs] == [("z0.pdf", "z1.pdf")]


def _saved(tmp_path: Path, name: str, results: list[Result]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False), encoding="utf-8")
    return path


def test_years_command_reads_saved_results_and_writes_json_and_csv(tmp_path: Path) -> None:
    saved = _saved(tmp_path, "results.json", [_report("a2021.pdf", "甲区人民政府", 2021, carry_on=3),
                                              _report("a2022.pdf", "甲区人民政府", 2022, carried=2)])
    out = CliRunner().invoke(main, ["years", "--format", "json", str(saved)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [(p["previous"]["year"], p["current"]["year"]) for p in data["pairs"]] == [(2021, 2022)]
    assert [f["rule"] for f in data["pairs"][0]["findings"]] == ["years.t3_carry_over"]
    out = CliRunner().invoke(main, ["years", "--format", "csv", str(saved)])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [(r["agency"], r["previous_year"], r["year"], r["rule"], r["actual"], r["expected"]) for r in rows] == [
        ("甲区人民政府", "2021", "2022", "years.t3_carry_over", "2", "3")]


def test_years_command_reports_a_bad_file_and_goes_on(tmp_path: Path) -> None:
    saved = _saved(tmp_path, "ok.json", [_report("a2021.pdf", "甲区人民政府", 2021),
                                         _report("a2022.pdf", "甲区人民政府", 2022)])
    bad = tmp_path / "bad.json"
    bad.write_text('{"values": 3}', encoding="utf-8")
    out = CliRunner().invoke(main, ["years", "--format", "json", str(bad), str(saved)])
    assert out.exit_code == 1
    assert "bad.json: 不是 xxgk 的提取结果 / not an xxgk result" in out.stderr
    assert len(json.loads(out.stdout)["pairs"]) == 1


def test_years_command_on_two_real_reports() -> None:
    out = CliRunner().invoke(main, ["years", str(real_pdf("2024-huaian-hongze-district")),
                                    str(real_pdf("2023-huaian-hongze-district"))])
    assert out.exit_code == 0, out.output
    assert "淮安市洪泽区人民政府  2023 → 2024" in out.output
    assert "跨年度核对未发现问题" in out.output


def _stored(store, name: str, result: Result) -> int:
    doc = store.add_document(f"{name} bytes".encode(), name)
    store.save_extraction(doc.id, result.model_copy(update={"document": result.document.model_copy(update={"name": name})}))
    return doc.id


def test_store_reports_are_checked_with_the_reviewers_edits(db_url: str) -> None:
    from extractor.store import open_store
    from extractor.years import store_results

    with open_store(db_url) as store:
        _stored(store, "a2021.pdf", _report("a2021.pdf", "甲区人民政府", 2021, carry_on=3))
        later = _stored(store, "a2022.pdf", _report("a2022.pdf", "甲区人民政府", 2022, carried=8))  # misread 3
        assert [f.actual for p in check_years(store_results(store)).pairs for f in p.findings] == [8]
        store.record_edit(later, "t3.上年结转.总计", 3, reason="读错", who="reviewer")
        assert check_years(store_results(store)).pairs[0].findings == ()


def test_neighbours_finds_the_years_before_and_after_in_the_store(db_url: str) -> None:
    from extractor.store import open_store
    from extractor.years import neighbours

    with open_store(db_url) as store:
        _stored(store, "a2020.pdf", _report("a2020.pdf", "甲区人民政府", 2020, carry_on=1))
        _stored(store, "a2022.pdf", _report("a2022.pdf", "甲区 人民政府", 2022, carried=9))
        _stored(store, "b2020.pdf", _report("b2020.pdf", "乙局", 2020, carry_on=5))
        _stored(store, "a2019.pdf", _report("a2019.pdf", "甲区人民政府", 2019))
        this = _report("a2021.pdf", "甲区人民政府", 2021, carried=2, carry_on=4)
        near = neighbours(store, this)
        assert [(p.previous.meta.year, p.current.meta.year) for p in near.pairs] == [(2020, 2021), (2021, 2022)]
        assert [(f.actual, f.expected) for p in near.pairs for f in p.findings] == [(2, 1), (9, 4)]
        assert neighbours(store, _report("x.pdf", None, 2021)).pairs == ()


def test_years_command_with_the_store_and_a_file(tmp_path: Path) -> None:
    from extractor.store import open_store

    db = tmp_path / "x.sqlite"
    with open_store(str(db)) as store:
        _stored(store, "a2021.pdf", _report("a2021.pdf", "甲区人民政府", 2021, carry_on=3))
    saved = _saved(tmp_path, "a2022.json", [_report("a2022.pdf", "甲区人民政府", 2022, carried=4)])
    out = CliRunner().invoke(main, ["years", "--store", "--db", str(db), "--format", "csv", str(saved)])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [(r["previous_file"], r["file"], r["actual"], r["expected"]) for r in rows] == [
        ("a2021.pdf", "a2022.pdf", "4", "3")]
    assert CliRunner().invoke(main, ["years"]).exit_code == 2  # nothing to check is a usage error


def test_check_store_keeps_only_what_involves_the_given_documents(db_url: str) -> None:
    from extractor.store import open_store
    from extractor.years import check_store

    with open_store(db_url) as store:
        a21 = _stored(store, "a2021.pdf", _report("a2021.pdf", "甲区人民政府", 2021, carry_on=3))
        a22 = _stored(store, "a2022.pdf", _report("a2022.pdf", "甲区人民政府", 2022, carried=1))
        b21 = _stored(store, "b2021.pdf", _report("b2021.pdf", "乙局", 2021, carry_on=1))
        _stored(store, "b2022.pdf", _report("b2022.pdf", "乙局", 2022, carried=2))
        c21 = _stored(store, "c2021.pdf", _report("c2021.pdf", "丙局", 2021))
        got = check_store(store, {a22, c21})
        assert [(p.previous.document.name, p.current.document.name) for p in got.pairs] == [("a2021.pdf", "a2022.pdf")]
        assert [u.result.document.name for u in got.unpaired] == ["c2021.pdf"]
        assert got.findings == 1
        assert len(check_store(store, {a21, b21}).pairs) == 2


def test_store_results_carry_the_narrative_sketch(db_url: str) -> None:
    from extractor.sketch import sketch_text
    from extractor.store import open_store
    from extractor.years import store_results

    text = "本机关坚持以公开为常态、不公开为例外，" * 3 + "".join(chr(0x4E00 + i * 7) for i in range(400))
    with open_store(db_url) as store:
        for year in (2021, 2022):
            r = _report(f"a{year}.pdf", "甲区人民政府", year)
            _stored(store, f"a{year}.pdf", r.model_copy(update={"document": DocumentInfo(text_sketch=sketch_text(text))}))
        (pair,) = check_years(store_results(store)).pairs
        assert [f.rule for f in pair.findings] == ["years.same_text"]


def test_years_command_agency_option_pairs_reports_whose_names_differ(tmp_path: Path) -> None:
    saved = _saved(tmp_path, "r.json", [_report("a2021.pdf", "淮安市洪泽区人民政府", 2021, carry_on=3),
                                        _report("a2022.pdf", "洪泽区人民政府", 2022, carried=3)])
    apart = json.loads(CliRunner().invoke(main, ["years", "--format", "json", str(saved)]).output)
    assert apart["pairs"] == [] and len(apart["unpaired"]) == 2
    together = json.loads(CliRunner().invoke(main, ["years", "--format", "json", "--agency", "洪泽区人民政府",
                                                    str(saved)]).output)
    assert [(p["agency"], p["findings"]) for p in together["pairs"]] == [("洪泽区人民政府", [])]


def test_agency_option_renames_the_files_only_not_the_database(tmp_path: Path) -> None:
    from extractor.store import open_store

    db = tmp_path / "x.sqlite"
    with open_store(str(db)) as store:
        _stored(store, "a2021.pdf", _report("a2021.pdf", "甲区人民政府", 2021, carry_on=3))
        _stored(store, "b2021.pdf", _report("b2021.pdf", "乙局", 2021))
    saved = _saved(tmp_path, "f.json", [_report("f2022.pdf", None, 2022, carried=3)])  # no agency detected
    out = CliRunner().invoke(main, ["years", "--store", "--db", str(db), "--agency", "甲区人民政府",
                                    "--format", "json", str(saved)])
    data = json.loads(out.output)
    assert [(p["previous"]["file"], p["current"]["file"]) for p in data["pairs"]] == [("a2021.pdf", "f2022.pdf")]
    assert [(u["file"], u["agency"]) for u in data["unpaired"]] == [("b2021.pdf", "乙局")]


def test_years_command_on_the_database_alone(tmp_path: Path) -> None:
    from extractor.store import open_store

    db = tmp_path / "x.sqlite"
    with open_store(str(db)) as store:
        _stored(store, "a2021.pdf", _report("a2021.pdf", "甲区人民政府", 2021, carry_on=3))
        _stored(store, "a2022.pdf", _report("a2022.pdf", "甲区人民政府", 2022, carried=5))
        _stored(store, "b2021.pdf", _report("b2021.pdf", "乙局", 2021))
    out = CliRunner().invoke(main, ["years", "--store", "--db", str(db), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [(f["rule"], f["actual"], f["expected"]) for p in data["pairs"] for f in p["findings"]] == [
        ("years.t3_carry_over", 5, 3)]
    assert [u["file"] for u in data["unpaired"]] == ["b2021.pdf"]


def test_last_years_report_settles_a_split_this_years_report_leaves_open(tmp_path: Path) -> None:
    """The page text prints 行政规范性文件 as "693665" (69 / 3 / 665 among seven readings); last year's
    现行有效 599 leaves one reading with 现行有效 = 599 + 制发 − 废止, and it is taken, said so."""
    from extractor.years import settle
    from tests.conftest import real_file

    current = extract(real_file("2021-pingtan-zone.txt"))
    assert "t2.行政规范性文件.本年制发" not in current.flat()
    previous = current.model_copy(update={
        "meta": current.meta.model_copy(update={"year": 2020}),
        "findings": [f for f in current.findings if f.rule != "extract.ambiguous_split"],
        "values": {**current.values, "t2.行政规范性文件.现行有效": current.values["t2.规章.现行有效"].model_copy(
            update={"key": "t2.行政规范性文件.现行有效", "value": 599})}})
    settled = settle(current, previous)
    flat = settled.flat()
    assert (flat["t2.行政规范性文件.本年制发"], flat["t2.行政规范性文件.本年废止"],
            flat["t2.行政规范性文件.现行有效"]) == (69, 3, 665)
    note = next(f for f in settled.findings if f.rule == "extract.settled_by_previous")
    assert note.severity == "info" and "2020" in note.message
    assert not [f for f in settled.findings if f.rule == "extract.ambiguous_split"]
    # a previous year that fits no reading decides nothing, and says the link is broken whatever the split
    wrong = previous.model_copy(update={"values": {**previous.values, "t2.行政规范性文件.现行有效":
                                                   previous.values["t2.行政规范性文件.现行有效"].model_copy(
                                                       update={"value": 5})}})
    open_again = settle(current, wrong)
    assert "t2.行政规范性文件.本年制发" not in open_again.flat()
    assert any(f.rule == "years.t2_stock" and f.detail.get("whatever_the_split") for f in open_again.findings)
