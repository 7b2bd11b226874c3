"""Exports against hostile content: formula cells neutralised in CSV and XLSX (numbers stay numbers), one
unreadable stored row left out with a line instead of breaking every export of the job."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from pathlib import Path

import pytest

from extractor import extract
from extractor.exports import ExportRow, export_rows, failed_csv, values_csv, values_xlsx, write_exports
from extractor.safe_csv import neutralize
from tests import requirements
from tests.conftest import SEED_TXT
from tests.test_batch import run_batch

HOSTILE_NAME = '=HYPERLINK("http://example.invalid/x","点击")'


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def seed_result():
    return extract(SEED_TXT)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", HOSTILE_NAME])
def test_formula_like_text_is_quoted(text: str) -> None:
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("value", [42658, -3, 0.5, None, "淮安市洪泽区人民政府", "2023 年"])
def test_numbers_and_plain_text_are_unchanged(value) -> None:
    assert neutralize(value) == value


def test_a_file_named_like_a_formula_is_text_in_the_csv_and_numbers_stay_numbers(seed_result) -> None:
    rows = _rows(values_csv([ExportRow.of(HOSTILE_NAME, seed_result)]))
    header, row = rows[0], rows[1]
    assert row[0] == "'" + HOSTILE_NAME  # was a live =HYPERLINK cell
    assert row[header.index("old.收到申请数")] == "233"  # a number, not quoted
    failed = _rows(failed_csv([("@evil.pdf", "-1+1")]))
    assert failed[1] == ["'@evil.pdf", "'-1+1"]


def test_a_file_named_like_a_formula_is_no_formula_in_the_xlsx(seed_result) -> None:
    openpyxl = requirements.package("openpyxl", "export")
    wb = openpyxl.load_workbook(io.BytesIO(values_xlsx([ExportRow.of(HOSTILE_NAME, seed_result)])))
    ws = wb["values"]
    header = [c.value for c in ws[1]]
    name_cell = ws.cell(2, 1)
    assert name_cell.data_type == "s" and name_cell.value == "'" + HOSTILE_NAME
    count = ws.cell(2, header.index("old.收到申请数") + 1)
    assert count.data_type == "n" and count.value == 233
    assert not any(c.data_type == "f" for row in wb["findings"].iter_rows() for c in row)


def test_cross_year_and_copy_csvs_are_neutralised_too(seed_result) -> None:
    from extractor.similar import SimilarPair, to_csv

    a = seed_result.model_copy(deep=True)
    a.document.name = "=cmd|' /C calc'!A0"
    b = seed_result.model_copy(deep=True)
    b.meta.agency = "+另一机关"
    text = to_csv([SimilarPair(a, b, 0.97)])
    row = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert row[1] == "'=cmd|' /C calc'!A0" and row[5] == "'+另一机关"


def test_one_unreadable_stored_row_is_left_out_with_a_line_not_the_whole_export(seed_result, caplog) -> None:
    good = ExportRow.of("good.txt", seed_result)

    class Stored:  # what the store hands over: the result as JSON text
        def __init__(self, text: str) -> None:
            self.result_json = text

    bad = [("broken-json.txt", Stored("{not json")), ("values-not-numbers.txt", Stored('{"values": {"k": {"value": "abc"}}}')),
           ("list.txt", Stored("[1, 2]")), ("findings.txt", Stored('{"findings": "x"}'))]
    rows, skipped = export_rows([("good.txt", seed_result), *bad])
    assert [r.file for r in rows] == ["good.txt"] and rows[0].values == good.values
    assert [name for name, _ in skipped] == [name for name, _ in bad]
    assert all("cannot read the stored result" in reason for _, reason in skipped)
    assert sum("export: " in m for m in caplog.messages) == 4


@pytest.mark.slow
def test_batch_exports_the_good_reports_when_one_stored_row_is_corrupt(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEED_TXT, src / "seed.txt")
    (src / "other.txt").write_bytes(SEED_TXT.read_bytes() + "\n附：本报告另有电子版。\n".encode())
    db = tmp_path / "db.sqlite"
    first = run_batch(str(src), "--out", str(tmp_path / "out1"), "--db", str(db), "--workers", "1")
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(db) as conn:  # a row damaged by hand, past the immutability trigger
        conn.execute("DROP TRIGGER extractions_immutable")
        conn.execute("UPDATE extractions SET result = '{\"values\": [1, 2' WHERE id = (SELECT min(id) FROM extractions)")
    second = run_batch(str(src), "--out", str(tmp_path / "out2"), "--db", str(db), "--workers", "1")
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr and "cannot read the stored result" in second.stderr
    values = _rows((tmp_path / "out2" / "values.csv").read_bytes())
    assert len(values) == 2  # the header and the readable report
    assert (tmp_path / "out2" / "values.xlsx").exists() and (tmp_path / "out2" / "values.parquet").exists()


def test_write_exports_with_a_hostile_name_writes_every_file(seed_result, tmp_path: Path) -> None:
    paths = write_exports([ExportRow.of(HOSTILE_NAME, seed_result)], tmp_path, failures=[("=bad", "@x")])
    assert _rows(paths["failed"].read_bytes())[1] == ["'=bad", "'@x"]
    assert _rows(paths["findings"].read_bytes())[1][0] == "'" + HOSTILE_NAME
