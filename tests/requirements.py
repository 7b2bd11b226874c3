"""What a test needs beyond ``pip install -e '.[all]'``, and what installs it.

A test that needs a part of the machine — a CJK font, poppler's ``pdftotext``, PostgreSQL, Chromium, the
local model server, the shared real reports — asks for it here. Where the part is missing the test is
skipped with a reason that names the script installing it (``.ci/*.sh``), so the README's test command is
green on a fresh machine. ``XXGK_REQUIRE_ALL=1`` (``.ci/run`` sets it) turns every such skip into a failure:
CI runs every test or says which part it lacks.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import re
import shutil
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

REQUIRE_ALL = "XXGK_REQUIRE_ALL"
SYSTEM = ".ci/system.sh"  # apt packages: poppler-utils, fonts-noto-cjk, libgl1, libglib2.0-0
POSTGRES = ".ci/postgres.sh"
BROWSER = ".ci/browser.sh"
LOCAL_LLM = ".ci/local-llm.sh"

# where pdfium (the PDF reader and renderer) looks for a font to stand in for a PDF's unembedded one
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")
_CJK_FONT_FILE = re.compile(r"cjk|wqy|droidsansfallback|sourcehan|source-han|simsun|simhei|uming|ukai|"
                            r"notosans(sc|tc)|notoserif(sc|tc)", re.IGNORECASE)


def require_all() -> bool:
    """Is every part required (CI), so that a missing one fails instead of skipping?"""
    return os.environ.get(REQUIRE_ALL, "").strip() not in ("", "0")


def missing(what: str, installer: str, *, module_level: bool = False) -> NoReturn:
    """Skip (or, under ``XXGK_REQUIRE_ALL=1``, fail) because ``what`` is missing; ``installer`` says what
    installs it."""
    reason = f"{what}: {installer} installs it"
    if require_all():
        pytest.fail(f"{REQUIRE_ALL}=1 and {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)


def package(name: str, extra: str, *, module_level: bool = False) -> ModuleType:
    """The Python package ``name`` of the ``[extra]`` (``[all]`` holds them all)."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        missing(f"no {name} ({err})", f"pip install -e '.[{extra}]'", module_level=module_level)


@functools.cache
def cjk_font_files() -> tuple[Path, ...]:
    """The CJK font files installed where pdfium finds them."""
    found: list[Path] = []
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            found += [p for p in root.rglob("*") if p.suffix.lower() in (".ttc", ".otf", ".ttf")
                      and _CJK_FONT_FILE.search(p.name.replace(" ", ""))]
    return tuple(found)


def cjk_font() -> None:
    """A CJK font: pdfium stands it in for the unembedded Chinese fonts of the PDFs the tests typeset
    (without one a rotated label has no glyph boxes, and a rendered page has no characters to OCR)."""
    if not cjk_font_files():
        missing(f"no CJK font in {', '.join(FONT_DIRS)} (apt-get install fonts-noto-cjk)", SYSTEM)


def pdftotext() -> str:
    """poppler's ``pdftotext``."""
    path = shutil.which("pdftotext")
    if not path:
        missing("no pdftotext on PATH (apt-get install poppler-utils)", SYSTEM)
    return path


def ocr() -> None:
    """The ``[ocr]`` extra and the system libraries OpenCV loads (libGL, GLib)."""
    try:
        import cv2  # noqa: F401
    except ImportError as err:
        if importlib.util.find_spec("cv2") is not None:  # installed, but a shared library it loads is not
            missing(f"OpenCV cannot load a system library ({err}; apt-get install libgl1 libglib2.0-0)", SYSTEM)
        missing(f"no cv2 ({err})", "pip install -e '.[ocr]'")
    package("rapidocr_onnxruntime", "ocr")


def postgres_url() -> str:
    """A PostgreSQL server whose role may create databases."""
    url = os.environ.get("XXGK_TEST_POSTGRES_URL", "").strip()
    if not url:
        missing("XXGK_TEST_POSTGRES_URL is not set", f'eval "$(bash {POSTGRES})"')
    return url


def chromium() -> str:
    """Chromium (``$XXGK_CHROMIUM`` or Debian's /usr/bin/chromium)."""
    wanted = os.environ.get("XXGK_CHROMIUM", "").strip() or "/usr/bin/chromium"
    path = shutil.which(wanted)
    if not path:
        missing(f"no Chromium at {wanted}", f'eval "$(bash {BROWSER})"')
    return path


def playwright() -> None:
    """The playwright package (the browser itself is Debian's Chromium, see :func:`chromium`)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:
        missing(f"no playwright package ({err})", f"pip install -e '.[test]' or {BROWSER}")


def local_llm(model: str | None = None) -> None:
    """The ``[local]`` model parts and a llama-server that runs on this CPU."""
    from extractor.llm import llama_server

    reason = llama_server.unavailable_reason(model)
    if reason:
        missing(f"no local model server ({reason})", LOCAL_LLM)


def shared(path: Path) -> Path:
    """A file of the team's shared real reports (read in place, never in the repo). Required under
    ``XXGK_REQUIRE_ALL=1`` only when ``XXGK_SHARED`` names the folder: a clean clone has no copy of it."""
    if path.exists():
        return path
    reason = f"the shared real reports are not here ({path}); set XXGK_SHARED to their folder"
    if require_all() and os.environ.get("XXGK_SHARED"):
        pytest.fail(f"{REQUIRE_ALL}=1 and {reason}", pytrace=False)
    pytest.skip(reason)
