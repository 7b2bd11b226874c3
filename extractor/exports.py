"""Exports of many reports: results.jsonl, values.csv / .xlsx / .parquet, findings.csv, failed.csv; and the
confirmed data (the values reviewers confirmed, with who confirmed them and when) as .csv / .xlsx / .parquet.

One row per report and one column per catalog key of the templates present, in catalog order (the
order of the official forms); ``labels`` puts the catalog's Chinese labels in the header instead of
the keys. A blank, "—" or "/" cell stays an empty cell (never 0). CSV files carry a UTF-8 BOM so that
Excel opens the Chinese text correctly. xlsx needs ``openpyxl`` and parquet ``pyarrow`` (the
``export`` extra).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, Self

from extractor import safe_csv
from extractor._errors import ConfigError
from schemas import catalog
from schemas.labels import COLUMN_LABELS
from schemas.results import Result

if TYPE_CHECKING:
    from extractor.store import ConfirmedRow, StoredColumns

log = logging.getLogger("xxgk.exports")
META = ("file", "sha256", "agency", "year", "template", "extractor", "errors", "warnings")
# the confirmed data's columns before the values: the report, the extraction confirmed, who and when
CONFIRMED_META = ("file", "sha256", "agency", "year", "template", "extractor", "document_id", "extraction_id",
                  "reviewer", "confirmed_at")
CONFIRMED_FORMATS = ("csv", "xlsx", "parquet")
FINDING_COLUMNS = ("file", "rule", "category", "severity", "keys", "expected", "actual", "message")
FORMATS = ("jsonl", "csv", "xlsx", "parquet", "findings")
FILE_NAMES = {"jsonl": "results.jsonl", "csv": "values.csv", "xlsx": "values.xlsx", "parquet": "values.parquet",
              "findings": "findings.csv", "failed": "failed.csv"}
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "parquet": "application/vnd.apache.parquet", "findings": "text/csv; charset=utf-8",
               "failed": "text/csv; charset=utf-8"}


@dataclass(frozen=True)
class ExportRow:
    """One report as the exports need it (parsed once from a stored extraction or a Result).

    Not the store's ``ReportRow`` (a line of the review queue, without values): this is the one row
    every export of values is written from — files, the HTTP API, ``xxgk extract --format csv``.
    """

    file: str
    sha256: str
    agency: str | None
    year: int | None
    template: str | None
    extractor: str
    values: dict[str, Any]
    findings: list[dict[str, Any]]
    result_json: str  # "" when the rows were read without it (a batch writes results.jsonl from the store)
    ocr_pages: int = 0  # pages and pictures read by OCR
    document_id: int | None = None  # the stored document and version (a row read from the store)
    extraction_id: int | None = None
    reviewer: str | None = None  # confirmed data: who confirmed the values, and when
    confirmed_at: datetime | None = None

    @classmethod
    def of(cls, file: str, source: Any, *, keep_text: bool = True) -> ExportRow:
        """From a store ``StoredColumns`` (its columns, the result's text kept as it is), a store
        ``ExtractionRow`` (its JSON text, parsed, not re-validated) or a ``Result``; ``keep_text``: the row keeps
        the result's JSON text (results.jsonl from the rows)."""
        if hasattr(source, "valid"):  # the store's StoredColumns (the store is an extra: not imported here)
            return cls._of_columns(file, source, keep_text)
        if isinstance(source, Result):
            text = source.model_dump_json()
        else:
            text = source.result_json
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the stored result is not a JSON object")  # noqa: TRY004 - bad data, caught as such
        meta = _mapping(data.get("meta"), "meta")
        doc = _mapping(data.get("document"), "document")
        values = {k: _mapping(v, k).get("value") for k, v in _mapping(data.get("values"), "values").items()}
        return cls._checked(file, sha256=doc.get("sha256"), agency=meta.get("agency"), year=meta.get("year"),
                            template=meta.get("template"), extractor=data.get("extractor"), values=values,
                            findings=data.get("findings"), result_json=text if keep_text else "",
                            ocr_pages=doc.get("ocr_pages"), document_id=getattr(source, "document_id", None),
                            extraction_id=getattr(source, "id", None))

    @classmethod
    def _of_columns(cls, file: str, source: StoredColumns, keep_text: bool) -> ExportRow:
        if not source.valid:
            raise ValueError("the stored result is not JSON")
        return cls._checked(file, sha256=source.sha256, agency=source.agency, year=source.year,
                            template=source.template, extractor=source.extractor,
                            values=_mapping(source.values, "values"), findings=source.findings,
                            result_json=source.result_json if keep_text else "", ocr_pages=source.ocr_pages,
                            document_id=source.document_id, extraction_id=source.id)

    @classmethod
    def _checked(cls, file: str, *, sha256: Any, agency: Any, year: Any, template: Any, extractor: Any,
                 values: dict[str, Any], findings: Any, result_json: str, ocr_pages: Any, document_id: int | None,
                 extraction_id: int | None) -> ExportRow:
        """The row, its parts checked as the exports need them (numbers, a list of findings, a year, a count)."""
        findings = findings or []
        if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
            raise ValueError("findings is not a list of objects")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise ValueError(f"year {year!r} is not a number")
        return cls(file=file, sha256=str(sha256 or ""), agency=agency, year=year, template=template,
                   extractor=str(extractor or ""), values={k: _number(v, k) for k, v in values.items()},
                   findings=findings, result_json=result_json, ocr_pages=_count(ocr_pages, "ocr_pages"),
                   document_id=document_id, extraction_id=extraction_id)

    @classmethod
    def confirmed(cls, source: ConfirmedRow) -> ExportRow:
        """A confirmed report (the store's ``ConfirmedRow``): its values as confirmed, who confirmed it and when."""
        got = cls._checked(source.name, sha256=source.sha256, agency=source.agency, year=source.year,
                           template=source.template, extractor=source.extractor, values=dict(source.values),
                           findings=[], result_json="", ocr_pages=0, document_id=source.document_id,
                           extraction_id=source.extraction_id)
        return replace(got, reviewer=source.reviewer, confirmed_at=source.confirmed_at)

    def meta_values(self, names: Sequence[str] = META) -> list[Any]:
        """The meta columns' values, None where a report has none (parquet's nulls)."""
        sev = [f.get("severity") for f in self.findings]
        known = {"file": self.file, "sha256": self.sha256, "agency": self.agency, "year": self.year,
                 "template": self.template, "extractor": self.extractor, "errors": sev.count("error"),
                 "warnings": sev.count("warning"), "document_id": self.document_id,
                 "extraction_id": self.extraction_id, "reviewer": self.reviewer, "confirmed_at": self.confirmed_at}
        return [known[n] for n in names]

    def meta(self, names: Sequence[str] = META) -> list[Any]:
        """The meta columns as spreadsheet cells (an empty cell where a report has none; a time with its offset)."""
        return [v.isoformat(sep=" ", timespec="seconds") if isinstance(v, datetime) else _cell(v)
                for v in self.meta_values(names)]


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object")  # noqa: TRY004 - bad data, caught as such
    return value


def _count(value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} = {value!r} is not a count")  # noqa: TRY004 - bad data, caught as such
    return value


def _number(value: Any, key: str) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{key} = {value!r} is not a number")
    return value


def export_rows(reports: Iterable[tuple[str, Any]], *, keep_text: bool = True,
                ) -> tuple[list[ExportRow], list[tuple[str, str]]]:
    """Export rows of (file, stored extraction or Result) pairs; a row that cannot be read (a corrupt or
    hand-edited result) is left out with a log line and returned as (file, reason), never breaking the
    export of the others. ``keep_text``: see :meth:`ExportRow.of`."""
    skipped: list[tuple[str, str]] = []
    return list(iter_rows(reports, skipped, keep_text=keep_text)), skipped


def iter_rows(reports: Iterable[tuple[str, Any]], skipped: list[tuple[str, str]], *,
              keep_text: bool = True) -> Iterator[ExportRow]:
    """:func:`export_rows` one at a time (a job of any size written without holding it); the rows left out
    are appended to ``skipped``."""
    for file, source in reports:
        try:
            row = ExportRow.of(file, source, keep_text=keep_text)
        except (ValueError, TypeError, AttributeError) as err:
            reason = f"无法读取保存的结果，已跳过 / cannot read the stored result, left out ({str(err)[:200]})"
            log.warning("export: %s: %s", file, reason)
            skipped.append((file, reason))
            continue
        yield row


@dataclass(frozen=True)
class Layout:
    """What every values export needs before its first row: the value columns, the header kind, and the
    columns whose numbers are not all whole (parquet types them as floats)."""

    keys: tuple[str, ...]
    labels: bool = False
    fractional: frozenset[str] = frozenset()
    meta: tuple[str, ...] = META  # the columns before the values (CONFIRMED_META for the confirmed data)
    findings: bool = True  # the findings go with the values (xlsx's findings sheet); not for the confirmed data

    @classmethod
    def of(cls, templates: Iterable[str], present: Iterable[str], fractional: Iterable[str] = (), *,
           labels: bool = False) -> Layout:
        """The catalog keys of the templates present, in catalog order. The second 历年累计 column and the
        prose-only group figures appear only when some report has them (``present``)."""
        templates, present = set(templates), set(present)
        keys = tuple(f.key for f in catalog.FIELDS if f.templates & templates
                     and not ((f.key.endswith(".历年累计") or f.prose_only) and f.key not in present))
        return cls(keys, labels, frozenset(fractional) & set(keys))

    @classmethod
    def of_rows(cls, rows: Iterable[ExportRow], *, labels: bool = False) -> Layout:
        gathered = LayoutGatherer()
        for r in rows:
            gathered.add(r.template, r.values)
        return gathered.layout(labels=labels)

    @classmethod
    def confirmed(cls, rows: Iterable[ExportRow], *, labels: bool = False) -> Layout:
        """The confirmed data's layout: its meta columns, no findings."""
        return replace(cls.of_rows(rows, labels=labels), meta=CONFIRMED_META, findings=False)


class LayoutGatherer:
    """A :class:`Layout` gathered from reports seen one at a time (their templates and values only)."""

    def __init__(self) -> None:
        self.templates: set[str] = set()
        self.present: set[str] = set()
        self.fractional: set[str] = set()

    def add(self, template: str | None, values: Mapping[str, Any]) -> None:
        if template:
            self.templates.add(template)
        self.present.update(values)
        self.fractional.update(k for k, v in values.items()
                               if isinstance(v, float) and not v.is_integer())

    def layout(self, *, labels: bool = False) -> Layout:
        return Layout.of(self.templates, self.present, self.fractional, labels=labels)


def columns(rows: Sequence[ExportRow]) -> list[str]:
    """The value columns of these rows (see :meth:`Layout.of`)."""
    return list(Layout.of_rows(rows).keys)


def headers(keys: Sequence[str], labels: bool, meta: Sequence[str] = META) -> list[str]:
    if not labels:
        return [*meta, *keys]
    seen: dict[str, int] = {}
    out = [COLUMN_LABELS[m] for m in meta]
    for k in keys:
        label = catalog.BY_KEY[k].label
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({k})")  # two cells one label: keep them apart
    return out


def _cell(v: Any) -> Any:
    return "" if v is None else v


def _finding_cells(file: str, f: Mapping[str, Any], cell: Callable[[Any], Any]) -> list[Any]:
    return [file, f.get("rule", ""), f.get("category", ""), f.get("severity", ""), ";".join(f.get("keys") or []),
            cell(f.get("expected")), cell(f.get("actual")), f.get("message", "")]


# --------------------------------------------------------------------------- one sink per export
class Sink(Protocol):
    """One export being written row by row into a binary file."""

    def add(self, row: ExportRow) -> None: ...

    def close(self) -> None:
        """Finish the export (the file object stays open: its owner closes it)."""

    def discard(self) -> None:
        """Stop without finishing (the file is deleted): release what the sink holds, write nothing more."""


class _Utf8:
    """The text stream CSV rows are written to: each row encoded straight into the binary file (nothing
    buffered, nothing to close), a BOM first for Excel."""

    def __init__(self, fh: BinaryIO, bom: bool) -> None:
        self.fh = fh
        if bom:
            fh.write("\ufeff".encode())
        self.csv = safe_csv.writer(self, lineterminator="\n")

    def write(self, text: str) -> int:
        self.fh.write(text.encode("utf-8"))
        return len(text)


class _WrittenAsAdded:
    """A sink whose rows are in the file as soon as they are added: nothing to finish, nothing to release."""

    def close(self) -> None:
        pass

    def discard(self) -> None:
        pass


class JsonlSink(_WrittenAsAdded):
    """results.jsonl: each row's result JSON text, one per line, as stored."""

    def __init__(self, fh: BinaryIO, layout: Layout) -> None:
        self.fh = fh

    def add(self, row: ExportRow) -> None:
        self.fh.write(row.result_json.strip().encode("utf-8") + b"\n")


class CsvSink(_WrittenAsAdded):
    """values.csv: one row per report, one column per key."""

    def __init__(self, fh: BinaryIO, layout: Layout, bom: bool = True) -> None:
        self.out, self.keys, self.meta = _Utf8(fh, bom), layout.keys, layout.meta
        self.out.csv.writerow(headers(self.keys, layout.labels, self.meta))

    def add(self, row: ExportRow) -> None:
        values = row.values
        self.out.csv.writerow([*row.meta(self.meta), *(_cell(values.get(k)) for k in self.keys)])


class FindingsSink(_WrittenAsAdded):
    """findings.csv: one row per finding."""

    def __init__(self, fh: BinaryIO, layout: Layout) -> None:
        self.out = _Utf8(fh, True)
        self.out.csv.writerow(FINDING_COLUMNS)

    def add(self, row: ExportRow) -> None:
        for f in row.findings:
            self.out.csv.writerow(_finding_cells(row.file, f, _cell))


class XlsxSink:
    """values.xlsx: sheets values, findings and keys (openpyxl's write-only workbook: rows go to disk as added)."""

    def __init__(self, fh: BinaryIO, layout: Layout) -> None:
        try:
            from openpyxl import Workbook
            from openpyxl.utils import get_column_letter
        except ImportError as exc:
            raise ConfigError("xlsx 导出需要 openpyxl / the xlsx export needs `pip install 'xxgk[export]'`") from exc
        self.fh, self.keys, self.meta, self.sheets = fh, layout.keys, layout.meta, _SHEETS[layout.labels]
        self.wb = Workbook(write_only=True)
        self.values = self.wb.create_sheet(self.sheets["values"])
        self.values.freeze_panes = "B2"
        hdr = headers(self.keys, layout.labels, self.meta)
        for i in range(1, len(hdr) + 1):
            self.values.column_dimensions[get_column_letter(i)].width = 28 if i <= 3 else 12
        self._append(self.values, hdr)
        self.findings = self.wb.create_sheet(self.sheets["findings"]) if layout.findings else None
        if self.findings is not None:
            self._append(self.findings, list(FINDING_COLUMNS))

    @staticmethod
    def _append(sheet: Any, row: Sequence[Any]) -> None:
        sheet.append([safe_csv.neutralize(v) for v in row])  # text like =HYPERLINK(…) stays text

    def add(self, row: ExportRow) -> None:
        self._append(self.values, [*row.meta(self.meta), *(row.values.get(k) for k in self.keys)])  # None → empty
        if self.findings is not None:
            for f in row.findings:
                self._append(self.findings, _finding_cells(row.file, f, _scalar))

    def close(self) -> None:
        ks = self.wb.create_sheet(self.sheets["keys"])
        self._append(ks, ["key", "label", "unit", "table"])
        for k in self.keys:
            spec = catalog.BY_KEY[k]
            self._append(ks, [k, spec.label, spec.unit, spec.table])
        self.wb.save(self.fh)

    def discard(self) -> None:
        self.wb.save(io.BytesIO())  # the way openpyxl closes its sheets' writers and removes their temporary files


_SHEETS = {False: {"values": "values", "findings": "findings", "keys": "keys"},  # labels: the sheets' names too
           True: {"values": "数值", "findings": "问题", "keys": "字段说明"}}


def _scalar(v: Any) -> Any:
    return v if isinstance(v, (int, float, str)) or v is None else str(v)


class ParquetSink:
    """values.parquet: keys as column names (labels in each field's metadata); whole numbers stay integers,
    blanks are null. Written a row group at a time."""

    GROUP = 256  # rows per row group (a group of values is held as Python objects until written)

    def __init__(self, fh: BinaryIO, layout: Layout) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise ConfigError("parquet 导出需要 pyarrow / the parquet export needs `pip install 'xxgk[export]'`") from exc
        self.pa, self.keys, self.meta = pa, layout.keys, layout.meta
        meta_types = {"year": pa.int32(), "errors": pa.int32(), "warnings": pa.int32(), "document_id": pa.int64(),
                      "extraction_id": pa.int64(), "confirmed_at": pa.timestamp("us", tz="UTC")}
        fields = [pa.field(name, meta_types.get(name, pa.string()), metadata={"label": COLUMN_LABELS[name]})
                  for name in self.meta]
        self.integral = [not catalog.BY_KEY[k].decimal and k not in layout.fractional for k in self.keys]
        fields += [pa.field(k, pa.int64() if whole else pa.float64(),
                            metadata={"label": catalog.BY_KEY[k].label, "unit": catalog.BY_KEY[k].unit})
                   for k, whole in zip(self.keys, self.integral, strict=True)]
        self.schema = pa.schema(fields)
        self.writer = pq.ParquetWriter(fh, self.schema)
        self.rows: list[list[Any]] = []
        self.written = False

    def add(self, row: ExportRow) -> None:
        values = row.values
        self.rows.append([*row.meta_values(self.meta), *(None if (v := values.get(k)) is None else int(v) if whole else float(v)
                                         for k, whole in zip(self.keys, self.integral, strict=True))])
        if len(self.rows) >= self.GROUP:
            self._flush()

    def _flush(self) -> None:
        columns: list[Sequence[Any]] = list(zip(*self.rows, strict=True)) if self.rows else [[] for _ in self.schema]
        arrays = [self.pa.array(list(col), type=field.type) for col, field in zip(columns, self.schema, strict=True)]
        self.writer.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows, self.written = [], True

    def close(self) -> None:
        if self.rows or not self.written:  # no report at all: the schema alone
            self._flush()
        self.writer.close()

    def discard(self) -> None:
        self.rows = []
        self.writer.close()


SINKS: dict[str, Callable[[BinaryIO, Layout], Sink]] = {
    "jsonl": JsonlSink, "csv": CsvSink, "xlsx": XlsxSink, "parquet": ParquetSink, "findings": FindingsSink}


def render(kind: str, rows: Sequence[ExportRow], *, labels: bool = False, layout: Layout | None = None) -> bytes:
    """One export as bytes (``kind`` ∈ jsonl, csv, xlsx, parquet, findings; ``layout``: the rows' own by default)."""
    if kind not in SINKS:
        raise ConfigError(f"未知的导出格式 / unknown export {kind!r}: {', '.join(FORMATS)}")
    buf = io.BytesIO()
    sink = SINKS[kind](buf, layout or Layout.of_rows(rows, labels=labels))
    for r in rows:
        sink.add(r)
    sink.close()
    return buf.getvalue()


def values_csv_text(rows: Sequence[ExportRow], *, labels: bool = False) -> str:
    """The values as CSV text, one row per report (what ``xxgk extract --format csv`` prints: no BOM)."""
    buf = io.BytesIO()
    sink = CsvSink(buf, Layout.of_rows(rows, labels=labels), bom=False)
    for r in rows:
        sink.add(r)
    sink.close()
    return buf.getvalue().decode("utf-8")


def confirmed_export(kind: str, confirmed: Sequence[ConfirmedRow], *, labels: bool = False) -> bytes:
    """The confirmed data as one file (``kind`` ∈ CONFIRMED_FORMATS): a row per confirmed report (the store's
    ``confirmed_values``), the report's columns, who confirmed it and when, then the values as confirmed (a
    person's edits included) — what the review page, ``xxgk confirmed`` and the HTTP API hand out."""
    if kind not in CONFIRMED_FORMATS:
        raise ConfigError(f"未知的导出格式 / unknown export {kind!r}: {', '.join(CONFIRMED_FORMATS)}")
    rows = [ExportRow.confirmed(r) for r in confirmed]
    return render(kind, rows, layout=Layout.confirmed(rows, labels=labels))


def values_csv(rows: Sequence[ExportRow], *, labels: bool = False) -> bytes:
    return render("csv", rows, labels=labels)


def values_xlsx(rows: Sequence[ExportRow], *, labels: bool = False) -> bytes:
    return render("xlsx", rows, labels=labels)


def failed_csv(failures: Sequence[tuple[str, str]]) -> bytes:
    buf = io.StringIO()
    w = safe_csv.writer(buf, lineterminator="\n")
    w.writerow(("file", "reason"))
    w.writerows(failures)
    return _excel_csv(buf.getvalue())


def _excel_csv(text: str) -> bytes:
    """CSV bytes with a UTF-8 BOM, so that Excel opens the Chinese text as UTF-8."""
    return ("\ufeff" + text).encode("utf-8")


class ExportWriter:
    """Every export of a folder written in one pass over the rows, each row dropped once written (a job of
    any size in flat memory); each file written as ``.part`` and renamed when whole, by :meth:`close` (a
    writer left without it, in a ``with`` block that fails, deletes its ``.part`` files).
    ``extra_csv`` adds CSV exports made elsewhere: kind → CSV text, written as ``<kind>.csv`` for Excel."""

    def __init__(self, out_dir: str | Path, layout: Layout, *, kinds: Sequence[str] = FORMATS) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self._open: list[tuple[str, Path, BinaryIO, Sink]] = []
        try:
            for kind in kinds:
                if kind not in SINKS:
                    raise ConfigError(f"未知的导出格式 / unknown export {kind!r}: {', '.join(FORMATS)}")
                path = self.out / FILE_NAMES[kind]
                fh = path.with_name(path.name + ".part").open("wb")
                try:
                    self._open.append((kind, path, fh, SINKS[kind](fh, layout)))
                except BaseException:
                    fh.close()
                    raise
        except BaseException:
            self._abandon()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._abandon()  # left without close (an error on the way): no half-written export stays

    def add(self, row: ExportRow) -> None:
        for _, _, _, sink in self._open:
            sink.add(row)

    def close(self, *, failures: Sequence[tuple[str, str]] = (),
              extra_csv: Mapping[str, str] | None = None) -> dict[str, Path]:
        """Finish every export and write failed.csv and the extra CSVs; kind → path."""
        paths: dict[str, Path] = {}
        try:
            for kind, path, fh, sink in self._open:
                sink.close()
                fh.close()
                path.with_name(path.name + ".part").replace(path)
                paths[kind] = path
        except BaseException:
            self._abandon()
            raise
        self._open = []
        small = {"failed": (FILE_NAMES["failed"], failed_csv(failures))}
        small.update({kind: (f"{kind}.csv", _excel_csv(text)) for kind, text in (extra_csv or {}).items()})
        for kind, (name, body) in small.items():
            path = self.out / name
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(body)
            tmp.replace(path)
            paths[kind] = path
        return paths

    def _abandon(self) -> None:
        for _, path, fh, sink in self._open:
            try:
                sink.discard()
            except Exception:  # already failing: the first error is the one raised
                log.debug("export: discarding %s failed", path.name, exc_info=True)
            finally:
                fh.close()
                path.with_name(path.name + ".part").unlink(missing_ok=True)
        self._open = []


def write_exports(rows: Iterable[ExportRow], out_dir: str | Path, *, layout: Layout | None = None,
                  labels: bool = False, failures: Sequence[tuple[str, str]] = (), kinds: Sequence[str] = FORMATS,
                  extra_csv: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Write every export into ``out_dir`` (created) in one pass over ``rows``; returns kind → path.
    Without ``layout``, ``rows`` must be a sequence (its layout is read from it first)."""
    if layout is None:
        rows = list(rows)
        layout = Layout.of_rows(rows, labels=labels)
    with ExportWriter(out_dir, layout, kinds=kinds) as writer:
        for r in rows:
            writer.add(r)
        return writer.close(failures=failures, extra_csv=extra_csv)


__all__ = [
    "CONFIRMED_FORMATS",
    "CONFIRMED_META",
    "FILE_NAMES",
    "FORMATS",
    "MEDIA_TYPES",
    "SINKS",
    "ExportRow",
    "ExportWriter",
    "Layout",
    "LayoutGatherer",
    "Sink",
    "columns",
    "confirmed_export",
    "export_rows",
    "failed_csv",
    "headers",
    "iter_rows",
    "render",
    "values_csv",
    "values_csv_text",
    "values_xlsx",
    "write_exports",
]
