"""tests/requirements.py: a missing part of the machine skips naming what installs it, or fails under
XXGK_REQUIRE_ALL=1 (as in .ci/run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import requirements
from tests.conftest import ROOT


def test_a_missing_part_skips_naming_its_installer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(requirements.REQUIRE_ALL, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no pdftotext on PATH .*: \.ci/system\.sh installs it"):
        requirements.missing("no pdftotext on PATH (apt-get install poppler-utils)", requirements.SYSTEM)


@pytest.mark.parametrize("value", ["1", "yes"])
def test_under_require_all_a_missing_part_fails(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(requirements.REQUIRE_ALL, value)
    with pytest.raises(pytest.fail.Exception, match=r"XXGK_REQUIRE_ALL=1 and no Chromium.*\.ci/browser\.sh"):
        requirements.missing("no Chromium at /usr/bin/chromium", f'eval "$(bash {requirements.BROWSER})"')


def test_require_all_zero_or_blank_still_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("0", ""):
        monkeypatch.setenv(requirements.REQUIRE_ALL, value)
        assert not requirements.require_all()


def test_every_named_script_is_in_the_repository() -> None:
    for script in (requirements.SYSTEM, requirements.POSTGRES, requirements.BROWSER, requirements.LOCAL_LLM):
        assert (ROOT / script).is_file(), script
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export XXGK_REQUIRE_ALL=1" in run
    assert all(script in run for script in (requirements.SYSTEM, requirements.POSTGRES, requirements.BROWSER,
                                            requirements.LOCAL_LLM))


def test_cjk_fonts_are_found_by_file_name_where_pdfium_looks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "opentype" / "noto").mkdir(parents=True)
    (tmp_path / "truetype" / "dejavu").mkdir(parents=True)
    (tmp_path / "truetype" / "dejavu" / "DejaVuSans.ttf").write_bytes(b"")
    monkeypatch.setattr(requirements, "FONT_DIRS", (str(tmp_path),))
    requirements.cjk_font_files.cache_clear()
    try:
        monkeypatch.delenv(requirements.REQUIRE_ALL, raising=False)
        with pytest.raises(pytest.skip.Exception, match="no CJK font .*fonts-noto-cjk"):
            requirements.cjk_font()
        (tmp_path / "opentype" / "noto" / "NotoSansCJK-Regular.ttc").write_bytes(b"")
        requirements.cjk_font_files.cache_clear()
        assert requirements.cjk_font_files() == (tmp_path / "opentype" / "noto" / "NotoSansCJK-Regular.ttc",)
        requirements.cjk_font()
    finally:
        requirements.cjk_font_files.cache_clear()


def test_a_missing_extra_names_its_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(requirements.REQUIRE_ALL, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no xxgk_no_such_module .*pip install -e '\.\[ui\]'"):
        requirements.package("xxgk_no_such_module", "ui")
    assert requirements.package("json", "ui").loads("[1]") == [1]


def test_the_shared_reports_are_required_only_where_xxgk_shared_names_them(monkeypatch: pytest.MonkeyPatch,
                                                                            tmp_path: Path) -> None:
    monkeypatch.setenv(requirements.REQUIRE_ALL, "1")
    monkeypatch.delenv("XXGK_SHARED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="set XXGK_SHARED"):
        requirements.shared(tmp_path / "real" / "x.pdf")
    monkeypatch.setenv("XXGK_SHARED", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="shared real reports are not here"):
        requirements.shared(tmp_path / "real" / "x.pdf")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    assert requirements.shared(tmp_path / "x.pdf") == tmp_path / "x.pdf"
