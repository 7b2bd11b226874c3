"""Spreadsheet cells that stay data: text starting like a formula is neutralised before CSV or XLSX.

A file named ``=HYPERLINK("http://…","点击")`` (or an agency name, a finding message, any text from a
report) would otherwise become a live formula when a reviewer opens the export in Excel or WPS. Text
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which
spreadsheets show as text; numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TextSink(Protocol):
    """Where CSV text goes: a text file, a StringIO, or anything with ``write``."""

    def write(self, text: str, /) -> Any: ...


def neutralize(value: Any) -> Any:
    """The value as a spreadsheet should store it: formula-like text quoted, everything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`neutralize`."""

    def __init__(self, fh: TextSink, **options: Any) -> None:
        self._writer = csv.writer(fh, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralize(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: TextSink, **options: Any) -> SafeWriter:
    return SafeWriter(fh, **options)


__all__ = ["FORMULA_STARTS", "SafeWriter", "TextSink", "neutralize", "writer"]
