"""Exports of many reports: results.jsonl, values.csv / .xlsx / .parquet, findings.csv, failed.csv.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from extractor import safe_csv
from extractor._errors import ConfigError
from schemas import catalog
from schemas.results import Result

log = logging.getLogger("xxgk.exports")
META = ("file", "sha256", "agency", "year", "template", "extractor", "errors", "warnings")
META_LABELS = {"file": "文件", "sha256": "SHA-256", "agency": "发布机关", "year": "年度", "template": "模板",
               "extractor": "提取方式", "errors": "错误数", "warnings": "警告数"}
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

    @classmethod
    def of(cls, file: str, source: Any, *, keep_text: bool = True) -> ExportRow:
        """From a store ``ExtractionRow`` (its JSON text, not re-validated) or a ``Result``; ``keep_text``: the
        row keeps the result's JSON text (results.jsonl from the rows)."""
        if isinstance(source, Result):
            text = source.model_dump_json()
        else:
            text = source.result_json
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the stored result is not a JSON object")  # noqa: TRY004 - bad data, caught as such
        meta = _mapping(data.get("meta"), "meta")
        doc = _mapping(data.get("document"), "document")
        values = {k: _number(_mapping(v, k).get("value"), k) for k, v in _mapping(data.get("values"), "values").items()}
        findings = data.get("findings") or []
        if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
            raise ValueError("findings is not a list of objects")
        year = meta.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise ValueError(f"year {year!r} is not a number")
        return cls(file=file, sha256=str(doc.get("sha256") or ""), agency=meta.get("agency"), year=year,
                   template=meta.get("template"), extractor=str(data.get("extractor") or ""), values=values,
                   findings=findings, result_json=text if keep_text else "",
                   ocr_pages=_count(doc.get("ocr_pages"), "ocr_pages"), document_id=getattr(source, "document_id", None),
                   extraction_id=getattr(source, "id", None))

    def meta(self) -> list[Any]:
        sev = [f.get("severity") for f in self.findings]
        return [self.file, self.sha256, self.agency or "", self.year if self.year is not None else "",
                self.template or "", self.extractor, sev.count("error"), sev.count("warning")]


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
    rows: list[ExportRow] = []
    skipped: list[tuple[str, str]] = []
    for file, source in reports:
        try:
            rows.append(ExportRow.of(file, source, keep_text=keep_text))
        except (ValueError, TypeError, AttributeError) as err:
            reason = f"无法读取保存的结果，已跳过 / cannot read the stored result, left out ({str(err)[:200]})"
            log.warning("export: %s: %s", file, reason)
            skipped.append((file, reason))
    return rows, skipped


def columns(rows: Sequence[ExportRow]) -> list[str]:
    """The value columns: catalog keys of the templates present, catalog order.

    The second 历年累计 column and the prose-only group figures appear only when some report has them.
    """
    templates = {r.template for r in rows if r.template}
    present: set[str] = set()
    for r in rows:
        present.update(r.values)
    out = []
    for f in catalog.FIELDS:
        if not f.templates & templates:
            continue
        if (f.key.endswith(".历年累计") or f.prose_only) and f.key not in present:
            continue
        out.append(f.key)
    return out


def headers(keys: Sequence[str], labels: bool) -> list[str]:
    if not labels:
        return [*META, *keys]
    seen: dict[str, int] = {}
    out = [META_LABELS[m] for m in META]
    for k in keys:
        label = catalog.BY_KEY[k].label
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({k})")  # two cells one label: keep them apart
    return out


def _cell(v: Any) -> Any:
    return "" if v is None else v


def results_jsonl(rows: Iterable[ExportRow]) -> bytes:
    return "".join(r.result_json.strip() + "\n" for r in rows).encode("utf-8")


def values_csv_text(rows: Sequence[ExportRow], *, labels: bool = False) -> str:
    """The values as CSV text, one row per report (what ``xxgk extract --format csv`` prints)."""
    keys = columns(rows)
    buf = io.StringIO()
    w = safe_csv.writer(buf, lineterminator="\n")
    w.writerow(headers(keys, labels))
    for r in rows:
        w.writerow([*r.meta(), *(_cell(r.values.get(k)) for k in keys)])
    return buf.getvalue()


def values_csv(rows: Sequence[ExportRow], *, labels: bool = False) -> bytes:
    """values.csv: :func:`values_csv_text` for Excel."""
    return _excel_csv(values_csv_text(rows, labels=labels))


def findings_csv(rows: Sequence[ExportRow]) -> bytes:
    buf = io.StringIO()
    w = safe_csv.writer(buf, lineterminator="\n")
    w.writerow(FINDING_COLUMNS)
    for r in rows:
        for f in r.findings:
            w.writerow([r.file, f.get("rule", ""), f.get("category", ""), f.get("severity", ""),
                        ";".join(f.get("keys") or []), _cell(f.get("expected")), _cell(f.get("actual")),
                        f.get("message", "")])
    return _excel_csv(buf.getvalue())


def failed_csv(failures: Sequence[tuple[str, str]]) -> bytes:
    buf = io.StringIO()
    w = safe_csv.writer(buf, lineterminator="\n")
    w.writerow(("file", "reason"))
    w.writerows(failures)
    return _excel_csv(buf.getvalue())


def values_xlsx(rows: Sequence[ExportRow], *, labels: bool = False) -> bytes:
    try:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter
    except ImportError as exc:
        raise ConfigError("xlsx 导出需要 openpyxl / the xlsx export needs `pip install 'xxgk[export]'`") from exc
    keys = columns(rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("values")
    ws.freeze_panes = "B2"
    hdr = headers(keys, labels)
    for i, h in enumerate(hdr, 1):
        ws.column_dimensions[get_column_letter(i)].width = 28 if i <= 3 else 12
    def append(sheet: Any, row: Sequence[Any]) -> None:
        sheet.append([safe_csv.neutralize(v) for v in row])  # text like =HYPERLINK(…) stays text

    append(ws, hdr)
    for r in rows:
        append(ws, [*r.meta(), *(r.values.get(k) for k in keys)])  # None → an empty cell
    fs = wb.create_sheet("findings")
    append(fs, list(FINDING_COLUMNS))
    for r in rows:
        for f in r.findings:
            append(fs, [r.file, f.get("rule", ""), f.get("category", ""), f.get("severity", ""),
                        ";".join(f.get("keys") or []), _scalar(f.get("expected")), _scalar(f.get("actual")),
                        f.get("message", "")])
    ks = wb.create_sheet("keys")
    append(ks, ["key", "label", "unit", "table"])
    for k in keys:
        spec = catalog.BY_KEY[k]
        append(ks, [k, spec.label, spec.unit, spec.table])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _scalar(v: Any) -> Any:
    return v if isinstance(v, (int, float, str)) or v is None else str(v)


def values_parquet(rows: Sequence[ExportRow]) -> bytes:
    """Keys as column names (labels in each field's metadata); integers stay integers, blanks are null."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError("parquet 导出需要 pyarrow / the parquet export needs `pip install 'xxgk[export]'`") from exc
    keys = columns(rows)
    arrays: list[Any] = []
    fields: list[Any] = []
    meta_types = {"year": pa.int32(), "errors": pa.int32(), "warnings": pa.int32()}
    meta_values: dict[str, list[Any]] = {name: [] for name in META}
    for r in rows:
        sev = [f.get("severity") for f in r.findings]
        for name, v in zip(META, (r.file, r.sha256, r.agency, r.year, r.template, r.extractor,
                                  sev.count("error"), sev.count("warning"))):
            meta_values[name].append(v)
    for name in META:
        typ = meta_types.get(name, pa.string())
        fields.append(pa.field(name, typ, metadata={"label": META_LABELS[name]}))
        arrays.append(pa.array(meta_values[name], type=typ))
    for k in keys:
        spec = catalog.BY_KEY[k]
        vals = [r.values.get(k) for r in rows]
        integral = not spec.decimal and all(v is None or float(v).is_integer() for v in vals)
        typ = pa.int64() if integral else pa.float64()
        vals = [None if v is None else (int(v) if integral else float(v)) for v in vals]
        fields.append(pa.field(k, typ, metadata={"label": spec.label, "unit": spec.unit}))
        arrays.append(pa.array(vals, type=typ))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def render(kind: str, rows: Sequence[ExportRow], *, labels: bool = False) -> bytes:
    """One export as bytes (``kind`` ∈ jsonl, csv, xlsx, parquet, findings)."""
    if kind == "jsonl":
        return results_jsonl(rows)
    if kind == "csv":
        return values_csv(rows, labels=labels)
    if kind == "xlsx":
        return values_xlsx(rows, labels=labels)
    if kind == "parquet":
        return values_parquet(rows)
    if kind == "findings":
        return findings_csv(rows)
    raise ConfigError(f"未知的导出格式 / unknown export {kind!r}: {', '.join(FORMATS)}")


def _excel_csv(text: str) -> bytes:
    """CSV bytes with a UTF-8 BOM, so that Excel opens the Chinese text as UTF-8."""
    return ("\ufeff" + text).encode("utf-8")


def write_exports(rows: Sequence[ExportRow], out_dir: str | Path, *, labels: bool = False,
                  failures: Sequence[tuple[str, str]] = (), kinds: Sequence[str] = FORMATS,
                  extra_csv: Mapping[str, str] | None = None, results: Iterable[str] | None = None) -> dict[str, Path]:
    """Write every export into ``out_dir`` (created); returns kind → path. Written whole, then renamed.

    ``extra_csv`` adds CSV exports made elsewhere: kind → CSV text, written as ``<kind>.csv`` for Excel
    like the others. ``results``: the lines of results.jsonl (the rows' results' JSON text, read as it is
    written) for rows read without their text.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    names = dict(FILE_NAMES)
    payloads: dict[str, Callable[[], bytes]] = {k: partial(render, k, rows, labels=labels) for k in kinds}
    payloads["failed"] = partial(failed_csv, failures)
    for kind, text in (extra_csv or {}).items():
        names[kind] = f"{kind}.csv"
        payloads[kind] = partial(_excel_csv, text)
    for kind, make in payloads.items():
        path = out / names[kind]
        tmp = path.with_name(path.name + ".part")
        if kind == "jsonl":  # the largest export: line by line, never one big string
            with tmp.open("wb") as fh:
                for text in (r.result_json for r in rows) if results is None else results:
                    fh.write(text.strip().encode("utf-8") + b"\n")
        else:
            tmp.write_bytes(make())
        tmp.replace(path)
        paths[kind] = path
    return paths


__all__ = [
    "FILE_NAMES",
    "FORMATS",
    "MEDIA_TYPES",
    "ExportRow",
    "columns",
    "export_rows",
    "failed_csv",
    "findings_csv",
    "headers",
    "render",
    "results_jsonl",
    "values_csv",
    "values_csv_text",
    "values_parquet",
    "values_xlsx",
    "write_exports",
]
