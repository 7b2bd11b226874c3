"""The eval's journal: one JSON line per scored case, appended as each finishes.

An LLM eval over hundreds of reports runs for hours; when it stops part way (Ctrl-C, a crash, the
machine's time running out) ``xxgk eval --resume`` reads the journal and scores only what is left,
and the LLM answers already paid for are in the answer cache anyway.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import IO

from evals.metrics import CaseScore

_FIELDS = {f.name for f in fields(CaseScore)}


def read_journal(path: Path) -> dict[tuple[str, str], CaseScore]:
    """The scores kept in a journal, by (slug, extractor); a line cut short by a crash is skipped."""
    out: dict[tuple[str, str], CaseScore] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        score = CaseScore(**{k: v for k, v in row.items() if k in _FIELDS})
        out[(score.slug, score.extractor)] = score
    return out


class Journal:
    """Appends each score as one line, flushed at once, so that a killed run loses at most the cases running."""

    def __init__(self, path: Path, resume: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] = path.open("a" if resume else "w", encoding="utf-8")

    def __call__(self, score: CaseScore) -> None:
        self._file.write(json.dumps(score.as_dict(), ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


__all__ = ["Journal", "read_journal"]
