"""xxgk: Chinese government information-disclosure annual reports → verified structured data.

Public API::

    from extractor import extract
    result = extract("report.pdf")            # the table reader, no configuration
    result.flat()                             # {key: value}
    result.findings                           # the report's own inconsistencies + extraction doubts
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
    "TooLargeError",
    "UnsupportedFormatError",
    "XxgkError",
    "check_document",
    "extract",
    "get_extractor",
    "read_document",
]
