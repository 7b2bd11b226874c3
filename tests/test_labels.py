"""schemas/labels.py: every code xxgk shows has its one Chinese word, and the places that show them read it."""

from __future__ import annotations

import csv
import io
import typing

from extractor import exports
from extractor.rules import validate
from extractor.similar import to_csv as similar_csv
from extractor.years import YearsReport
from extractor.years import to_csv as years_csv
from schemas import catalog
from schemas.labels import (
    COLUMN_LABELS,
    SEVERITY_LABELS,
    TABLE_TITLES,
    TEMPLATE_LABELS,
    TEMPLATE_TITLES,
    template_label,
)
from schemas.results import ReportMeta, Severity
from ui import queries as ui_queries


def test_every_template_severity_and_table_has_its_label() -> None:
    assert set(TEMPLATE_LABELS) == set(TEMPLATE_TITLES) == set(catalog.TEMPLATES)
    assert set(SEVERITY_LABELS) == set(typing.get_args(Severity))
    assert set(TABLE_TITLES) == {f.table for f in catalog.FIELDS}
    assert template_label("2008") == "2008–2018 统计表" and template_label(None) == "未识别"


def test_the_metadata_rule_names_templates_with_the_shared_titles() -> None:
    meta = ReportMeta(year=2023, template="2008", template_evidence=["政府信息公开情况统计表"])
    found = [f for f in validate({}, {}, meta, "2008", "") if f.rule == "meta.template_year"]
    assert found and TEMPLATE_TITLES["2021"] in found[0].message and TEMPLATE_TITLES["2008"] in found[0].message


def test_every_column_xxgk_writes_or_shows_has_one_header() -> None:
    """values.csv/xlsx/parquet's columns, findings.csv's, years.csv's and similar.csv's, and the UI's tables of
    confirmed reports: each named once in COLUMN_LABELS, so that an export and the page show one header for one
    column (the exports once said 发布机关 where the pages said 机关)."""
    years_header = next(csv.reader(io.StringIO(years_csv(YearsReport((), ())))))
    similar_header = next(csv.reader(io.StringIO(similar_csv([]))))
    columns = {*exports.META, *exports.FINDING_COLUMNS, *years_header, *similar_header, *ui_queries.META,
               *exports.CONFIRMED_META}
    assert columns - set(COLUMN_LABELS) == set()
    assert COLUMN_LABELS["agency"] == "机关" and COLUMN_LABELS["file"] == COLUMN_LABELS["name"] == "文件"
