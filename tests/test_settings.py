"""The one settings object: every variable read once, from the environment over the config file's [settings]."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from extractor import settings as settings_module
from extractor._errors import ConfigError, TooLargeError
from extractor.settings import SETTINGS, OcrSettings, Settings, UiSettings, config_path
from tests.conftest import ROOT

NO_FILE = {"XXGK_CONFIG": "/nonexistent/xxgk-config.toml"}


def test_each_variable_fills_its_field_in_its_unit() -> None:
    s = Settings.from_env({**NO_FILE, "XXGK_MAX_BYTES": "1000", "XXGK_MAX_ARCHIVE_MB": "2", "XXGK_MAX_SECONDS": "1.5",
                           "XXGK_OCR_MAX_PAGES": "5", "XXGK_OCR_THREADS": "0", "XXGK_OCR_CACHE": "off",
                           "XXGK_UI_TIMEZONE": "Asia/Urumqi", "XXGK_UI_SESSION_HOURS": "0.5",
                           "XXGK_API_MAX_REQUEST_MB": "3", "XXGK_PDF_TABLES": "pdfplumber", "XXGK_LOG_LEVEL": "debug"})
    assert (s.limits.file_bytes, s.limits.archive_bytes, s.limits.seconds) == (1000, 2 * 1024 * 1024, 1.5)
    assert (s.ocr.max_pages, s.ocr.threads, s.ocr.cache_dir()) == (5, 0, None)
    assert (s.ui.timezone, s.ui.session_hours, s.api_max_request_bytes) == ("Asia/Urumqi", 0.5, 3 * 1024 * 1024)
    assert (s.pdf_tables, s.log_level) == ("pdfplumber", "debug")


def test_unset_and_blank_variables_keep_the_defaults() -> None:
    s = Settings.from_env({**NO_FILE, "XXGK_OCR_MAX_PAGES": "  ", "XXGK_UI_SECRET": ""})
    assert s == Settings() and s.ocr == OcrSettings() and s.ui == UiSettings()
    assert s.ocr.max_pages == 60 and s.ui.max_upload_mb == 50 and s.limits.file_bytes == 100 * 1024 * 1024


@pytest.mark.parametrize(("name", "raw"), [("XXGK_OCR_MAX_PAGES", "sixty"), ("XXGK_UI_TIMEOUT", "-1"),
                                           ("XXGK_MAX_BYTES", "0")])
def test_a_malformed_number_is_an_error_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({**NO_FILE, name: raw})


def test_zero_means_automatic_where_the_setting_allows_it() -> None:
    assert Settings.from_env({**NO_FILE, "XXGK_OCR_WORKERS": "0"}).ocr.workers == 0
    with pytest.raises(ConfigError, match="XXGK_UI_WORKERS"):
        Settings.from_env({**NO_FILE, "XXGK_UI_WORKERS": "0"})


def test_the_config_file_sets_what_the_environment_does_not(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[llm]\npreset = "ollama"\n\n[settings]\nocr_max_pages = 7\nui_timezone = "UTC"\n'
                    "max_archive_mb = 1_024\n", encoding="utf-8")
    s = Settings.from_env({"XXGK_CONFIG": str(path), "XXGK_UI_TIMEZONE": "Asia/Urumqi"})
    assert (s.ocr.max_pages, s.ui.timezone, s.limits.archive_bytes) == (7, "Asia/Urumqi", 1024 * 1024 * 1024)
    assert config_path({"XXGK_CONFIG": str(path)}) == path
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "xxgk" / "config.toml"


def test_an_unknown_key_in_the_config_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[settings]\nocr_max_page = 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ocr_max_page"):
        Settings.from_env({"XXGK_CONFIG": str(path)})


def test_every_setting_has_a_distinct_variable_and_field() -> None:
    assert len({s.env for s in SETTINGS}) == len(SETTINGS) == len({s.field for s in SETTINGS})
    fields = {s.field for s in SETTINGS}
    assert {f"limits.{f}" for f in Settings().limits.__slots__} <= fields
    assert {f"ocr.{f}" for f in OcrSettings.__slots__} | {f"ui.{f}" for f in UiSettings.__slots__} <= fields


def test_the_readers_use_the_settings_of_the_moment_not_of_import() -> None:
    from extractor.ingest.image import check_ocr_pages

    settings_module.use(Settings(ocr=OcrSettings(max_pages=2)))
    check_ocr_pages(2, "scan.pdf")
    with pytest.raises(TooLargeError, match="3 pages to OCR > 2 .XXGK_OCR_MAX_PAGES"):
        check_ocr_pages(3, "scan.pdf")
    settings_module.use(Settings(ocr=OcrSettings(max_pages=3)))
    check_ocr_pages(3, "scan.pdf")


def test_the_process_settings_are_read_once_until_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_OCR_MAX_PAGES", "9")
    first = settings_module.settings()
    monkeypatch.setenv("XXGK_OCR_MAX_PAGES", "10")
    assert settings_module.settings() is first and first.ocr.max_pages == 9
    settings_module.use(None)
    assert settings_module.settings().ocr.max_pages == 10


# the packages that read the environment themselves, until they take their settings from here too
READ_OWN_ENV = ("extractor/settings.py",)


def test_no_module_reads_the_environment_but_the_settings() -> None:
    """Every xxgk variable comes through ``extractor.settings`` (a subprocess's environment may still be built
    from the process's, PYTHONPATH and all)."""
    readers = []
    for folder in ("extractor", "schemas", "ui", "evals"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(READ_OWN_ENV):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr in ("get", "getenv", "setdefault", "pop") and \
                        ast.unparse(node.func.value) in ("os.environ", "os"):
                    key = node.args[0] if node.args else None
                elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                    key = node.slice
                else:
                    continue
                if isinstance(key, ast.Constant) and not str(key.value).startswith(("XXGK_", "XDG_")):
                    continue
                readers.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:60]}")
    assert readers == []
