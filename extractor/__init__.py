"""xxgk: Chinese government information-disclosure annual reports → verified structured data.

Public API::

    from extractor import extract
    result = extract("report.pdf")            # the table reader, no configuration
    result.flat()                             # {key: value}
    result.findings                           # the report's own inconsistencies + extraction doubts

    from extractor import check_years, similar_reports
    check_years([extract(p) for p in paths])  # each agency's report against its report of the year before
    similar_reports(results)                  # different agencies' reports with nearly the same narrative
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from extractor._errors import (
    BackendError,
    ConfigError,
    CorruptFileError,
    DecodingError,
    EmptyInputError,
    EncryptedFileError,
    ImageOnlyError,
    InputError,
    NotAReportError,
    TooLargeError,
    UnsupportedFormatError,
    XxgkError,
)

if TYPE_CHECKING:
    from extractor.api import Extractor, check_document, extract, get_extractor, read_document
    from extractor.document import Document
    from extractor.similar import SimilarPair, similar_reports
    from extractor.years import YearPair, YearsReport, check_years

# The public API is imported on first use: ``import extractor.cli`` (every ``xxgk`` command) must not
# pay for the readers, the rules and the result models it may not need.
_LAZY = {
    "Extractor": "extractor.api", "check_document": "extractor.api", "extract": "extractor.api",
    "get_extractor": "extractor.api", "read_document": "extractor.api", "Document": "extractor.document",
    "SimilarPair": "extractor.similar", "similar_reports": "extractor.similar", "YearPair": "extractor.years",
    "YearsReport": "extractor.years", "check_years": "extractor.years",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'extractor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

__all__ = [
    "BackendError",
    "ConfigError",
    "CorruptFileError",
    "DecodingError",
    "Document",
    "EmptyInputError",
    "EncryptedFileError",
    "Extractor",
    "ImageOnlyError",
    "InputError",
    "NotAReportError",
    "SimilarPair",
    "TooLargeError",
    "UnsupportedFormatError",
    "XxgkError",
    "YearPair",
    "YearsReport",
    "check_document",
    "check_years",
    "extract",
    "get_extractor",
    "read_document",
    "similar_reports",
]
