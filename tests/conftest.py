"""Shared test fixtures: where the seed, the real reports and the repo's own fixtures are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("XXGK_SHARED", ROOT.parent / "shared"))
SEED_TXT = EXAMPLES / "2017-old-template-report.txt"
SEED_GOLD = EXAMPLES / "2017-old-template-report.gold.json"
REAL = SHARED / "real"
REAL_REPORTS = ("2023-huaian-hongze-district", "2024-huaian-hongze-district")


def load_gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_gold() -> dict:
    return load_gold(SEED_GOLD)


def real_pdf(slug: str) -> Path:
    """A real report from ../shared/real, read in place; skip with the reason when it is absent."""
    path = REAL / f"{slug}.pdf"
    if not path.exists():
        pytest.skip(f"../shared/real is not here ({path}); the real-report tests need the shared folder")
    return path
