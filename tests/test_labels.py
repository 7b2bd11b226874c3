"""schemas/labels.py: every code xxgk shows has its one Chinese word, and the places that show them read it."""

from __future__ import annotations

import typing

from extractor.rules import validate
from schemas import catalog
from schemas.labels import SEVERITY_LABELS, TABLE_TITLES, TEMPLATE_LABELS, TEMPLATE_TITLES, template_label
from schemas.results import ReportMeta, Severity


def test_every_template_severity_and_table_has_its_label() -> None:
    assert set(TEMPLATE_LABELS) == set(TEMPLATE_TITLES) == set(catalog.TEMPLATES)
    assert set(SEVERITY_LABELS) == set(typing.get_args(Severity))
    assert set(TABLE_TITLES) == {f.table for f in catalog.FIELDS}
    assert template_label("2008") == "2008–2018 统计表" and template_label(None) == "未识别"


def test_the_metadata_rule_names_templates_with_the_shared_titles() -> None:
    meta = ReportMeta(year=2023, template="2008", template_evidence=["政府信息公开情况统计表"])
    found = [f for f in validate({}, {}, meta, "2008", "") if f.rule == "meta.template_year"]
    assert found and TEMPLATE_TITLES["2021"] in found[0].message and TEMPLATE_TITLES["2008"] in found[0].message
