"""The report schema: field catalog, per-template models and result types."""

from __future__ import annotations

from schemas.catalog import BY_KEY, FIELDS, TEMPLATES, ColumnSpec, FieldSpec, RowSpec, fields_for
from schemas.results import (
    DocumentInfo,
    Evidence,
    Extraction,
    Finding,
    ReportMeta,
    Result,
    Usage,
    Value,
)

__all__ = [
    "BY_KEY",
    "FIELDS",
    "TEMPLATES",
    "ColumnSpec",
    "DocumentInfo",
    "Evidence",
    "Extraction",
    "FieldSpec",
    "Finding",
    "ReportMeta",
    "Result",
    "RowSpec",
    "Usage",
    "Value",
    "fields_for",
]
