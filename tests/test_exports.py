"""extractor/exports.py: every export written row by row in one pass, the rows not kept, the same files as
the exports of the rows held at once; the layout (columns, parquet types) known before the first row."""

from __future__ import annotations

import csv
import gc
import io
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extractor._errors import ConfigError
from extractor.exports import (
    CONFIRMED_META,
    FORMATS,
    ExportRow,
    ExportWriter,
    Layout,
    ParquetSink,
    confirmed_export,
    render,
    write_exports,
)
from extractor.store import ConfirmedRow
from schemas import catalog
from schemas.results import Finding, ReportMeta, Result, Value
from tests import requirements


def _result(i: int, *, fraction: bool = False) -> Result:
    """A 2021 report whose 自然人 new requests are ``i`` (1.5 in one report with ``fraction``)."""
    values = {"t3.本年新收.自然人": Value(key="t3.本年新收.自然人", value=1.5 if fraction else i, raw=str(i)),
              "t3.本年新收.商业企业": Value(key="t3.本年新收.商业企业", value=None, raw="—", status="dash")}
    return Result(meta=ReportMeta(template="2021", year=2020 + i % 3, agency=f"某县{i}局"), values=values,
                  findings=[Finding(rule="t3.total", kind="sum", severity="error", message=f"第{i}份")])


def _rows(n: int) -> list[ExportRow]:
    return [ExportRow.of(f"r{i}.pdf", _result(i, fraction=i == 3)) for i in range(n)]


def test_the_layout_is_the_templates_keys_in_catalog_order_and_the_fractional_columns() -> None:
    layout = Layout.of_rows(_rows(5))
    assert layout.keys == tuple(f.key for f in catalog.FIELDS if "2021" in f.templates and not f.prose_only
                                and not f.key.endswith(".历年累计"))
    assert layout.fractional == {"t3.本年新收.自然人"}  # 1.5 in one report: a float column in parquet
    assert Layout.of_rows(_rows(3)).fractional == frozenset()


@pytest.mark.parametrize("kind", ["csv", "findings", "jsonl"])
def test_a_folder_written_from_a_stream_equals_the_export_of_the_rows_held_at_once(kind: str, tmp_path: Path) -> None:
    rows = _rows(7)
    paths = write_exports(iter(rows), tmp_path, layout=Layout.of_rows(rows), kinds=[kind])
    assert paths[kind].read_bytes() == render(kind, rows)
    assert not list(tmp_path.glob("*.part"))


def test_the_values_csv_has_one_line_per_report_blank_cells_blank(tmp_path: Path) -> None:
    rows = _rows(4)
    paths = write_exports(rows, tmp_path, kinds=["csv"])
    lines = list(csv.DictReader(io.StringIO(paths["csv"].read_text("utf-8-sig"))))
    assert [ln["file"] for ln in lines] == ["r0.pdf", "r1.pdf", "r2.pdf", "r3.pdf"]
    assert [ln["t3.本年新收.自然人"] for ln in lines] == ["0", "1", "2", "1.5"]
    assert {ln["t3.本年新收.商业企业"] for ln in lines} == {""}  # a dash stays blank, never 0
    assert {ln["errors"] for ln in lines} == {"1"}


def test_the_writer_keeps_no_row_once_it_is_written(tmp_path: Path) -> None:
    alive: list[weakref.ref] = []

    def stream() -> Iterator[ExportRow]:
        for i in range(6):  # made one at a time, as a job's rows are read from the store
            row = ExportRow.of(f"r{i}.pdf", _result(i))
            alive.append(weakref.ref(row))
            yield row

    rows = _rows(6)
    writer = ExportWriter(tmp_path, Layout.of_rows(rows))
    for row in stream():
        writer.add(row)
        del row
        gc.collect()
        assert sum(r() is not None for r in alive[:-1]) == 0  # only the row in hand lives
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["results.jsonl", "values.csv", "values.xlsx", "values.parquet", "findings.csv", "failed.csv"])


def test_parquet_is_written_a_row_group_at_a_time_with_whole_numbers_as_integers(tmp_path: Path, monkeypatch) -> None:
    pq = requirements.package("pyarrow.parquet", "export")
    monkeypatch.setattr(ParquetSink, "GROUP", 2)
    rows = _rows(5)
    path = write_exports(iter(rows), tmp_path, layout=Layout.of_rows(rows), kinds=["parquet"])["parquet"]
    f = pq.ParquetFile(path)
    assert f.num_row_groups == 3
    table = f.read()
    assert table.column("t3.本年新收.自然人").to_pylist() == [0.0, 1.0, 2.0, 1.5, 4.0]  # one fraction: floats
    assert str(table.schema.field("t3.上年结转.自然人").type) == "int64"
    assert table.column("t3.本年新收.商业企业").to_pylist() == [None] * 5  # blank is null, never 0
    assert table.column("year").to_pylist() == [2020, 2021, 2022, 2020, 2021]
    assert table.schema.field("year").metadata[b"label"].decode() == "年度"


def test_no_report_gives_the_headers_alone(tmp_path: Path) -> None:
    pq = requirements.package("pyarrow.parquet", "export")
    paths = write_exports([], tmp_path, kinds=FORMATS)
    assert paths["csv"].read_text("utf-8-sig").splitlines()[0].startswith("file,sha256")
    assert paths["jsonl"].read_bytes() == b""
    assert pq.ParquetFile(paths["parquet"]).read().num_rows == 0


def test_a_failing_export_leaves_no_part_file_and_no_half_written_export(tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    def stream() -> Iterator[ExportRow]:
        yield from _rows(2)
        raise Boom

    rows = _rows(2)
    with pytest.raises(Boom):
        write_exports(stream(), tmp_path, layout=Layout.of_rows(rows))
    assert list(tmp_path.iterdir()) == []


def _confirmed(i: int, **kw: object) -> ConfirmedRow:
    values = {"t3.本年新收.自然人": i, "t3.本年新收.商业企业": None, "t3.本年新收.总计": 7 + i}
    return ConfirmedRow(**{"document_id": 10 + i, "sha256": f"{i:064x}", "name": f"某县{i}局.pdf",
                           "agency": f"某县{i}局", "year": 2023, "template": "2021", "extractor": "rules",
                           "extraction_id": 100 + i, "reviewer": "张三",
                           "confirmed_at": datetime(2026, 12, 7, 9, 30, tzinfo=UTC), "values": values, **kw})


def test_the_confirmed_data_is_the_values_as_confirmed_with_who_and_when_in_every_format() -> None:
    rows = [_confirmed(1), _confirmed(2, reviewer="=HYPERLINK(\"http://x\")")]
    (header, first, second) = list(csv.reader(io.StringIO(confirmed_export("csv", rows).decode("utf-8-sig"))))
    assert header == [*CONFIRMED_META, *Layout.confirmed([ExportRow.confirmed(r) for r in rows]).keys]
    assert "errors" not in header and "t3.本年新收.总计" in header
    got = dict(zip(header, first, strict=True))
    assert (got["file"], got["document_id"], got["extraction_id"], got["reviewer"]) == ("某县1局.pdf", "11", "101", "张三")
    assert got["confirmed_at"] == "2026-12-07 09:30:00+00:00"  # a time with its offset, never a bare local time
    assert (got["t3.本年新收.自然人"], got["t3.本年新收.商业企业"], got["t3.本年新收.总计"]) == ("1", "", "8")  # blank ≠ 0
    assert dict(zip(header, second, strict=True))["reviewer"].startswith("'=")  # never a formula
    labelled = next(csv.reader(io.StringIO(confirmed_export("csv", rows, labels=True).decode("utf-8-sig"))))
    assert labelled[:3] == ["文件", "SHA-256", "机关"] and "审核人" in labelled and "确认时间" in labelled


def test_the_confirmed_data_as_xlsx_and_parquet_keeps_the_types_and_has_no_findings() -> None:
    pq = requirements.package("pyarrow.parquet", "export")
    load_workbook = requirements.package("openpyxl", "export").load_workbook
    rows = [_confirmed(1), _confirmed(2)]
    wb = load_workbook(io.BytesIO(confirmed_export("xlsx", rows)))
    assert wb.sheetnames == ["values", "keys"]
    table = pq.read_table(io.BytesIO(confirmed_export("parquet", rows)))
    assert str(table.schema.field("confirmed_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("document_id").type) == "int64"
    assert table.column("t3.本年新收.自然人").to_pylist() == [1, 2]
    assert table.column("t3.本年新收.商业企业").to_pylist() == [None, None]
    assert table.column("reviewer").to_pylist() == ["张三", "张三"]
    with pytest.raises(ConfigError, match="unknown export"):
        confirmed_export("jsonl", rows)
