"""Eval cases: a source file beside its gold file (GOLD-KEYS format + expected findings).

A dataset is a folder searched recursively for ``*.gold.json``; each names its source in
``source.file``. Findings a case must raise come from the gold's ``expected_findings`` or, for the
seed and the real reports whose gold files predate that field, from ``evals/expected.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.settings import settings

ROOT = Path(__file__).resolve().parent.parent
REAL_DATASETS = (ROOT / "examples",)  # the repo's own real reports (the seed)
REPO_DATASETS = (ROOT / "tests" / "fixtures" / "generated", ROOT / "tests" / "fixtures" / "eval")
_EXPECTED = Path(__file__).resolve().parent / "expected.json"
_LAYOUT_BY_EXT = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "md"}


@dataclass(frozen=True)
class Case:
    slug: str
    source: Path
    gold: dict[str, Any]
    origin: str = "repo"
    expected: tuple[dict[str, Any], ...] = field(default=())

    @property
    def template(self) -> str:
        return str(self.gold.get("meta", {}).get("template", "?"))

    @property
    def layout(self) -> str:
        gen = self.gold.get("generator") or {}
        if gen.get("layout"):
            return str(gen["layout"])
        if self.gold.get("layout"):
            return str(self.gold["layout"])
        return _LAYOUT_BY_EXT.get(self.source.suffix.lower(), "text")

    @property
    def values(self) -> dict[str, Any]:
        return self.gold.get("values", {})

    @property
    def clean(self) -> bool:
        return not self.expected


def _overlay() -> dict[str, list[dict[str, Any]]]:
    if _EXPECTED.exists():
        return json.loads(_EXPECTED.read_text(encoding="utf-8"))
    return {}


def load_dataset(path: str | Path, origin: str = "external") -> list[Case]:
    """Every case under a folder (or the one case of a gold file)."""
    path = Path(path)
    golds = [path] if path.is_file() else sorted(path.rglob("*.gold.json"))
    overlay = _overlay()
    cases = []
    for g in golds:
        gold = json.loads(g.read_text(encoding="utf-8"))
        slug = g.name[: -len(".gold.json")]
        src = gold.get("source", {})
        inputs = src.get("inputs") or [src.get("file") or g.name.replace(".gold.json", "")]
        expected = gold.get("expected_findings")
        if expected is None:
            expected = overlay.get(slug, [])
        for name in inputs:  # one report kept in several forms (a page's text and its HTML): a case each
            source = g.parent / name
            if source.exists():
                cases.append(Case(slug if len(inputs) == 1 else name, source, gold, origin, tuple(expected)))
    return cases


def repo_cases() -> list[Case]:
    """The repo's own cases: the seed (a real report), the hand-made fixtures and the committed generated ones."""
    out: list[Case] = []
    for d in REAL_DATASETS:
        if d.exists():
            out.extend(load_dataset(d, origin="real"))
    for d in REPO_DATASETS:
        if d.exists():
            out.extend(load_dataset(d, origin="repo"))
    return out


def shared_real() -> Path | None:
    """The team's folder of real reports with gold values, when it is on this machine (XXGK_SHARED)."""
    real = settings().shared(ROOT) / "real"
    return real if real.is_dir() else None
