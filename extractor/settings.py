"""Every budget an input gets, read once from the environment into one frozen object.

    from extractor.settings import settings
    settings().limits.file_bytes          # 100 MiB unless $XXGK_MAX_BYTES says otherwise

Each field of :class:`Limits` is one budget with its environment variable and default (the table
``LIMIT_SETTINGS``); a value over a budget raises :class:`~extractor._errors.TooLargeError` whose
one line names the budget and the variable that raises it (:meth:`Limits.exceeded`). Worker
processes are handed the parent's object (:func:`use`) so that a batch, the API and ``xxgk extract``
apply the budgets their parent read, whatever the worker's own environment says.

The defaults let the largest real reports through — a 200-page PDF, a 100 MB scan — and stop what
no report needs: a zip bomb, a 50 MB web page, a million-cell table.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from extractor._errors import ConfigError, TooLargeError

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class LimitSetting:
    """How one budget is set: its variable, the unit the variable is written in, what it limits."""

    env: str
    unit: int  # bytes per unit of the variable (MiB for *_MB), 1 for counts and seconds
    zh: str
    en: str


# field of Limits -> how it is set (the README's "Limits and security" table lists the same)
LIMIT_SETTINGS: dict[str, LimitSetting] = {
    "file_bytes": LimitSetting("XXGK_MAX_BYTES", 1, "文件大小", "file size"),
    "archive_bytes": LimitSetting("XXGK_MAX_ARCHIVE_MB", MiB, "压缩包解压后总大小", "unpacked size of the archive"),
    "archive_files": LimitSetting("XXGK_MAX_ARCHIVE_FILES", 1, "压缩包内文件数", "files in the archive"),
    "archive_depth": LimitSetting("XXGK_MAX_ARCHIVE_DEPTH", 1, "压缩包嵌套层数", "nesting depth of archives"),
    "archive_ratio": LimitSetting("XXGK_MAX_ARCHIVE_RATIO", 1, "压缩包解压比", "unpacked-to-packed ratio"),
    "docx_part_bytes": LimitSetting("XXGK_MAX_DOCX_PART_MB", MiB, "Word 文档部件解压后大小",
                                    "unpacked size of a Word XML part"),
    "docx_bytes": LimitSetting("XXGK_MAX_DOCX_MB", MiB, "Word 文档解压后总大小", "unpacked size of the Word file"),
    "html_bytes": LimitSetting("XXGK_MAX_HTML_MB", MiB, "网页大小", "size of the web page"),
    "html_elements": LimitSetting("XXGK_MAX_HTML_ELEMENTS", 1, "网页元素数", "elements in the web page"),
    "table_cells": LimitSetting("XXGK_MAX_TABLE_CELLS", 1, "表格单元格数", "table cells in the document"),
    "text_chars": LimitSetting("XXGK_MAX_TEXT_CHARS", 1, "文本字符数", "characters of text"),
    "pdf_pages": LimitSetting("XXGK_MAX_PDF_PAGES", 1, "PDF 页数", "PDF pages"),
    "seconds": LimitSetting("XXGK_MAX_SECONDS", 1, "每个文件的处理时间（秒）", "seconds per file"),
    "memory_bytes": LimitSetting("XXGK_MAX_MEMORY_MB", MiB, "每个文件的内存", "memory per file"),
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The budgets of one input. Sizes in bytes; enforced where the bytes are read (see README)."""

    file_bytes: int = 100 * MiB  # one file as read from disk, uploaded, or unpacked from an archive
    archive_bytes: int = 1024 * MiB  # everything unpacked from one archive, nested archives included
    archive_files: int = 1000  # members of one archive, nested archives' members included
    archive_depth: int = 3  # an archive in an archive in an archive
    archive_ratio: int = 100  # unpacked bytes per packed byte of the outermost archive (past its first MiBs)
    docx_part_bytes: int = 64 * MiB  # one XML part of a .docx, unpacked
    docx_bytes: int = 256 * MiB  # every part of a .docx, unpacked
    html_bytes: int = 20 * MiB
    html_elements: int = 200_000  # tags in a web page
    table_cells: int = 500_000  # table slots of one document (merged cells count every slot they cover)
    text_chars: int = 5_000_000  # characters of a decoded text or web page (a 200-page report has ~1 M)
    pdf_pages: int = 500
    seconds: float = 300.0  # wall time and CPU time per file, in a worker process
    memory_bytes: int = 2048 * MiB  # address space of the worker process reading one file

    def exceeded(self, field: str, actual: float | None = None, name: str = "") -> TooLargeError:
        """The error for ``actual`` (None: unknown, counting stopped at the budget) over the budget
        ``field``: what, how much, and the variable that sets it."""
        spec = LIMIT_SETTINGS[field]
        unit = " MB" if spec.unit == MiB else (" bytes" if field == "file_bytes" else "")
        shown = "" if actual is None else f"{_shown(actual, spec.unit)}{unit} "
        where = f"{name}: " if name else ""
        return TooLargeError(f"{where}{shown}> {_shown(getattr(self, field), spec.unit)}{unit}, {spec.env}",
                             zh=f"超出限制：{spec.zh}", en=f"over the limit: {spec.en}")

    def check(self, field: str, actual: float, name: str = "") -> None:
        """Raise :meth:`exceeded` when ``actual`` is over the budget ``field``."""
        if actual > getattr(self, field):
            raise self.exceeded(field, actual, name)


def _shown(value: float, unit: int) -> str:
    v = value / unit
    return f"{v:,.0f}" if v >= 10 or float(v).is_integer() else f"{v:.1f}"


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings xxgk reads from the environment, once (``settings()``)."""

    limits: Limits = Limits()
    api_max_request_bytes: int = 500 * MiB  # one HTTP request body, counted as it streams
    api_max_files: int = 1000  # files in one upload, archive members counted

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every setting from ``environ`` (default ``os.environ``); a malformed value is a ConfigError."""
        env = os.environ if environ is None else environ
        limits = {f: _number(env, spec.env, spec.unit, float if f == "seconds" else int)
                  for f, spec in LIMIT_SETTINGS.items()}
        api = {"api_max_request_bytes": _number(env, "XXGK_API_MAX_REQUEST_MB", MiB, int),
               "api_max_files": _number(env, "XXGK_API_MAX_FILES", 1, int)}
        return cls(limits=Limits(**{k: v for k, v in limits.items() if v is not None}),
                   **{k: v for k, v in api.items() if v is not None})

    def replace(self, **limits: float) -> Settings:
        """These settings with some limits changed (tests, benchmarks)."""
        return dataclasses.replace(self, limits=dataclasses.replace(self.limits, **limits))


def _number(env: Mapping[str, str], name: str, unit: int, kind: Callable[[str], float]) -> float | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = kind(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be positive")
    return value * unit


_current: Settings | None = None


def settings() -> Settings:
    """The process's settings: read from the environment on first use, or those given to :func:`use`."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def limits() -> Limits:
    """Shorthand for ``settings().limits``: what the readers check against."""
    return settings().limits


def use(new: Settings | None) -> Settings | None:
    """Make ``new`` the process's settings (a worker takes its parent's); None reads the environment
    again on next use. Returns the settings replaced."""
    global _current
    old, _current = _current, new
    return old


__all__ = ["LIMIT_SETTINGS", "Limits", "Settings", "limits", "settings", "use"]
