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
from extractor.api import Extractor, check_document, extract, get_extractor, read_document
from extractor.document import Document
from extractor.similar import SimilarPair, similar_reports
from extractor.years import YearPair, YearsReport, check_years

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
