"""extractor/exports.py: every export written row by row in one pass, the rows not kept, the same files as
the exports of the rows held at once; the layout (columns, parquet types) known before the first row."""

from __future__ import annotations

import csv
import gc
import io
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor.exports import (
    FORMATS,
    ExportRow,
    ExportWriter,
    Layout,
    ParquetSink,
    render,
    write_exports,
)
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
