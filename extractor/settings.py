"""Every setting xxgk reads, read once from the environment and the config file into one frozen object.

    from extractor.settings import settings
    settings().limits.file_bytes          # 100 MiB unless $XXGK_MAX_BYTES says otherwise
    settings().ocr.max_pages              # 60 unless $XXGK_OCR_MAX_PAGES (or the config file) says otherwise

Each variable (the table ``SETTINGS``) can also be set in the config file's ``[settings]`` table
(``$XXGK_CONFIG`` or ``~/.config/xxgk/config.toml``, the file whose ``[llm]`` table sets the LLM endpoint),
lowercase and without ``XXGK_``: ``max_bytes = 50_000_000``, ``ui_timezone = "Asia/Urumqi"``. The environment wins.

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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
class OcrSettings:
    """How scans and pictures are read (the ``[ocr]`` extra)."""

    max_pages: int = 60  # pages of one file to OCR: a page takes seconds, a 500-page scan is refused
    max_image_pixels: int = 80_000_000  # one decoded picture: a decompression bomb stops here
    threads: int = 0  # ONNX threads per process; 0: every core (a pool's workers take 1)
    workers: int = 0  # processes reading a long scan's pages; 0: up to two, 1: no pool
    cache: str = ""  # folder of pages already read; "": ~/.cache/xxgk/ocr, "off": none

    def cache_dir(self) -> Path | None:
        """Where read pages are kept, or None when the cache is off."""
        if self.cache.strip().lower() in ("off", "0", "none", "false"):
            return None
        return Path(self.cache).expanduser() if self.cache.strip() else Path.home() / ".cache" / "xxgk" / "ocr"


@dataclass(frozen=True, slots=True)
class UiSettings:
    """The review UI's settings."""

    max_upload_mb: int = 50  # one uploaded file; Streamlit is given the same limit
    workers: int = 1  # extraction processes behind the upload page
    timeout: float = 300.0  # seconds per uploaded file (at least 10)
    session_hours: float = 12.0  # how long a sign-in lasts
    secret: str = ""  # the session-signing key; "": a random key kept beside the users file
    users_file: str = ""  # the accounts file; "": users.json in the data folder
    timezone: str = "Asia/Shanghai"  # the reviewers' IANA time zone, for the times shown


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its environment variable, the field it fills (``ocr.max_pages``), how it is read.
    The config file's ``[settings]`` table takes the same names, lowercase and without ``XXGK_``."""

    env: str
    field: str
    kind: type = int  # int, float or str
    unit: int = 1  # for numbers: bytes per unit of the variable (MiB for *_MB)
    minimum: float = 0  # for numbers: the value must be above this (0: positive), or equal when zero_ok
    zero_ok: bool = False

    @property
    def key(self) -> str:
        """The name in the config file's ``[settings]`` table."""
        return self.env.removeprefix("XXGK_").lower()


# every setting xxgk reads (the LLM endpoint's are extractor/llm/config.py's frozen LLMConfig)
SETTINGS: tuple[Setting, ...] = (
    *(Setting(spec.env, f"limits.{f}", float if f == "seconds" else int, spec.unit)
      for f, spec in LIMIT_SETTINGS.items()),
    Setting("XXGK_API_MAX_REQUEST_MB", "api_max_request_bytes", int, MiB),
    Setting("XXGK_API_MAX_FILES", "api_max_files"),
    Setting("XXGK_OCR_MAX_PAGES", "ocr.max_pages"),
    Setting("XXGK_MAX_IMAGE_PIXELS", "ocr.max_image_pixels"),
    Setting("XXGK_OCR_THREADS", "ocr.threads", zero_ok=True),
    Setting("XXGK_OCR_WORKERS", "ocr.workers", zero_ok=True),
    Setting("XXGK_OCR_CACHE", "ocr.cache", str),
    Setting("XXGK_UI_MAX_MB", "ui.max_upload_mb"),
    Setting("XXGK_UI_WORKERS", "ui.workers"),
    Setting("XXGK_UI_TIMEOUT", "ui.timeout", float),
    Setting("XXGK_UI_SESSION_HOURS", "ui.session_hours", float),
    Setting("XXGK_UI_SECRET", "ui.secret", str),
    Setting("XXGK_USERS_FILE", "ui.users_file", str),
    Setting("XXGK_UI_TIMEZONE", "ui.timezone", str),
    Setting("XXGK_PDF_TABLES", "pdf_tables", str),
    Setting("XXGK_LOG_LEVEL", "log_level", str),
    Setting("XXGK_SHARED", "shared_dir", str),
    Setting("XXGK_TEST_ITEM_DELAY", "test_item_delay", float, zero_ok=True),
    Setting("XXGK_DATA_DIR", "data_dir", str),
    Setting("XXGK_DATABASE_URL", "database_url", str),
    Setting("XXGK_CACHE_DIR", "models_dir", str),
    Setting("XXGK_LLAMA_SERVER", "llama_server", str),
    Setting("XXGK_LLM_BATCH_POLL", "llm_batch_poll", float),
)
# the XDG base folders, read with the settings (from the environment only): where the defaults above live
XDG = {"XDG_DATA_HOME": "xdg_data_home", "XDG_CACHE_HOME": "xdg_cache_home"}
_SECTIONS = {"limits": Limits, "ocr": OcrSettings, "ui": UiSettings}


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings xxgk reads, once (``settings()``): the environment over the config file's ``[settings]``
    table over the defaults here."""

    limits: Limits = Limits()
    api_max_request_bytes: int = 500 * MiB  # one HTTP request body, counted as it streams
    api_max_files: int = 1000  # files in one upload, archive members counted
    ocr: OcrSettings = OcrSettings()
    ui: UiSettings = UiSettings()
    pdf_tables: str = "ruling"  # the PDF table finder: "ruling" (fast), or "pdfplumber" (the reference)
    log_level: str = "info"  # the HTTP server's log level
    shared_dir: str = ""  # the team's shared data (real reports with gold values); "": ../shared beside the checkout
    test_item_delay: float = 0.0  # test hook: seconds each batch worker sleeps per file, to kill a batch half-way
    data_dir: str = ""  # the store's folder; "": $XDG_DATA_HOME/xxgk (~/.local/share/xxgk)
    database_url: str = ""  # the store; "": the SQLite file xxgk.sqlite in the data folder
    models_dir: str = ""  # joined local models ($XXGK_CACHE_DIR); "": ~/.cache/xxgk/models
    llama_server: str = ""  # a llama-server binary to use instead of the packaged ones
    llm_batch_poll: float = 30.0  # seconds between polls of an OpenAI Batch API batch
    xdg_data_home: str = ""
    xdg_cache_home: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
        """Every setting from ``environ`` (default ``os.environ``) over the config file (``path``, default
        :func:`config_path`); a malformed or unknown value is a ConfigError that names it."""
        env = os.environ if environ is None else environ
        raw = _read_file(path or config_path(env))
        raw.update({s.env: env[s.env] for s in SETTINGS if (env.get(s.env) or "").strip()})
        top: dict[str, Any] = {}
        sections: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
        for spec in SETTINGS:
            if spec.env not in raw:
                continue
            value = _value(spec, raw[spec.env])
            section, _, name = spec.field.rpartition(".")
            (sections[section] if section else top)[name] = value
        top.update({name: env[var].strip() for var, name in XDG.items() if (env.get(var) or "").strip()})
        return cls(**{name: kind(**sections[name]) for name, kind in _SECTIONS.items()}, **top)

    def replace(self, **limits: float) -> Settings:
        """These settings with some limits changed (tests, benchmarks)."""
        return dataclasses.replace(self, limits=dataclasses.replace(self.limits, **limits))  # type: ignore[arg-type]

    def store_dir(self) -> Path:
        """The folder of the default SQLite file and the users file (not created here)."""
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        base = Path(self.xdg_data_home).expanduser() if self.xdg_data_home else Path.home() / ".local" / "share"
        return base / "xxgk"

    def cache_root(self) -> Path:
        """The user's cache folder: ``$XDG_CACHE_HOME``, else ``~/.cache``."""
        return Path(self.xdg_cache_home).expanduser() if self.xdg_cache_home else Path.home() / ".cache"

    def local_models(self) -> Path:
        """Where joined local models live: ``$XXGK_CACHE_DIR``, else ``~/.cache/xxgk/models``."""
        return Path(self.models_dir).expanduser() if self.models_dir else Path.home() / ".cache" / "xxgk" / "models"

    def shared(self, root: Path) -> Path:
        """The shared data folder: ``XXGK_SHARED``, else ``shared`` beside the checkout at ``root``."""
        return Path(self.shared_dir).expanduser() if self.shared_dir.strip() else root.parent / "shared"


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file: ``$XXGK_CONFIG``, else ``$XDG_CONFIG_HOME/xxgk/config.toml`` (``~/.config``)."""
    env = os.environ if environ is None else environ
    explicit = (env.get("XXGK_CONFIG") or "").strip()
    if explicit:
        return Path(explicit).expanduser()
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "xxgk" / "config.toml"


def config_table(path: Path, name: str) -> dict[str, Any]:
    """One table of the config file (``[settings]``, ``[llm]``); {} when the file or the table is not there."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as err:
        raise ConfigError(f"配置文件无法读取 / cannot read the config file {path}: {err}") from None
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"配置文件 {path} 的 [{name}] 必须是一个表 / [{name}] in {path} must be a table")
    return table


def _read_file(path: Path) -> dict[str, str]:
    """The config file's ``[settings]`` table, as the environment variables it stands for."""
    table = config_table(path, "settings")
    by_key = {s.key: s.env for s in SETTINGS}
    unknown = sorted(set(table) - set(by_key))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in [settings] of {path}; "
                          f"known: {', '.join(sorted(by_key))}")
    return {by_key[k]: str(v) for k, v in table.items()}


def _value(spec: Setting, raw: str) -> Any:
    if spec.kind is str:
        return raw.strip()
    text = raw.strip()
    try:
        value = spec.kind(text.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{spec.env}={raw!r} is not a number") from None
    if value < 0 or (value == 0 and not spec.zero_ok):
        raise ConfigError(f"{spec.env}={raw!r} must be positive")
    return value * spec.unit


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


__all__ = ["LIMIT_SETTINGS", "SETTINGS", "Limits", "OcrSettings", "Setting", "Settings", "UiSettings", "config_path",
           "config_table",
           "limits", "settings", "use"]
