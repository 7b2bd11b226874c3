"""Shared test fixtures: where the seed, the real reports and the repo's own fixtures are."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import requirements
from tests.postgres import fresh_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("XXGK_SHARED", ROOT.parent / "shared"))
SEED_TXT = EXAMPLES / "2017-old-template-report.txt"
SEED_GOLD = EXAMPLES / "2017-old-template-report.gold.json"
REAL = SHARED / "real"
REAL_REPORTS = ("2023-huaian-hongze-district", "2024-huaian-hongze-district")
# the agency's web page as archived: its text (the report on one line) and, for 2011, its HTML
REAL_PAGES = ("2011-pingtan-zone.txt", "2011-pingtan-zone.html", "2012-pingtan-county.txt", "2014-pingtan-zone.txt",
              "2019-pingtan-zone.txt", "2021-pingtan-zone.txt")


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads the settings again (from the environment its monkeypatch set), as a new process would."""
    from extractor import settings

    settings.use(None)
    yield
    settings.use(None)


@pytest.fixture
def limits_set() -> Iterator:
    """``limits_set(file_bytes=1000, …)``: the process's budgets for this test (read again from the
    environment afterwards)."""
    from extractor import settings

    def apply(**limits: float) -> None:
        settings.use(settings.Settings.from_env().replace(**limits))

    yield apply
    settings.use(None)


def load_gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_gold() -> dict:
    return load_gold(SEED_GOLD)


def real_pdf(slug: str) -> Path:
    """A real report from ../shared/real, read in place; skip with the reason when it is absent."""
    return requirements.shared(REAL / f"{slug}.pdf")


def real_file(name: str) -> Path:
    """Any file of ../shared/real, read in place; skip with the reason when it is absent."""
    return requirements.shared(REAL / name)


def real_gold(name: str) -> dict:
    """The gold file of a real input (``2011-pingtan-zone.html`` → ``2011-pingtan-zone.gold.json``)."""
    return load_gold(REAL / (name.rsplit(".", 1)[0] + ".gold.json"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL database made for this test and dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'xxgk.sqlite'}"
        return
    with fresh_database(requirements.postgres_url()) as url:
        yield url


@pytest.fixture()
def ui_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The review UI's files in a fresh folder: SQLite store, users file, session key."""
    monkeypatch.setenv("XXGK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XXGK_USERS_FILE", str(tmp_path / "users.json"))
    for name in ("XXGK_DATABASE_URL", "XXGK_UI_SECRET", "XXGK_UI_SESSION_HOURS", "XXGK_UI_MAX_MB"):
        monkeypatch.delenv(name, raising=False)
    from ui.throttle import SIGN_IN  # the app runs in this process: a test's failed sign-ins must not outlive it

    SIGN_IN.clear()
    return tmp_path


@pytest.fixture()
def db_store(db_url: str):
    """An open store on an empty database of each backend (see ``db_url``)."""
    from extractor.store import open_store

    s = open_store(db_url)
    yield s
    s.close()
