"""The Chinese words xxgk shows for its codes — templates, tables, severities — spelled once.

The CLI's summary, the findings' messages, the reader's doubts and the review UI all read them here,
so a reviewer sees one name for one thing wherever it appears. (A field's own label, alias and unit
live with the field in :mod:`schemas.catalog`.)
"""

from __future__ import annotations

# a template as a short tag (tables, filters, the summary)
TEMPLATE_LABELS: dict[str, str] = {"2008": "2008–2018 统计表", "2019": "2019 试行格式", "2021": "2021 格式"}
# a template named in a sentence (the metadata rule's message)
TEMPLATE_TITLES: dict[str, str] = {"2008": "2008–2018年《政府信息公开情况统计表》", "2019": "2019年试行格式",
                                   "2021": "2021年格式"}
# a table named in a sentence (the reader's doubts)
TABLE_TITLES: dict[str, str] = {"t2": "表二（主动公开政府信息情况）", "t3": "表三（收到和处理政府信息公开申请情况）",
                                "t4": "表四（行政复议、行政诉讼情况）", "old": "政府信息公开情况统计表"}
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
# a column of a table xxgk writes or shows (the exports' headers with --labels, the UI's tables): one header
# for one column everywhere (a field's column is its catalog label, not listed here)
COLUMN_LABELS: dict[str, str] = {
    "document_id": "编号", "file": "文件", "name": "文件", "sha256": "SHA-256", "agency": "机关", "year": "年度",
    "template": "模板", "extractor": "提取方式", "extraction_id": "提取版本", "errors": "错误数", "warnings": "警告数",
    "reviewer": "审核人", "confirmed_at": "确认时间", "uploaded_at": "上传时间",
    "rule": "规则", "category": "类别", "severity": "级别", "message": "说明", "keys": "涉及字段", "expected": "应为", "actual": "实为",
    "previous_year": "上一年度", "previous_file": "上一年度文件",
    "similarity": "相同比例", "other_file": "另一文件", "other_agency": "另一机关", "other_year": "另一年度",
}


def template_label(template: str | None) -> str:
    """A template's short tag; 未识别 when none was recognised."""
    return TEMPLATE_LABELS.get(template or "", "未识别")


__all__ = ["COLUMN_LABELS", "SEVERITY_LABELS", "TABLE_TITLES", "TEMPLATE_LABELS", "TEMPLATE_TITLES", "template_label"]
