"""The readings a person picks from when the extractor held a cell back, and when that is settled.

A cell the extractor held back — an OCR digit it doubts (``extract.ocr_doubtful``), a row of digits
with several splits (``extract.ambiguous_split``) or a model's number printed nowhere in its row
(``extract.ungrounded``) — has no value; its finding offers the readings as
:class:`Choice` s. Picking one writes an ordinary edit (who, when, why), and the finding counts as
settled once every held cell has a value a person gave — picked or typed. Kept free of Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.results import Finding, Number
from ui.form_view import cell_name, number_text
from ui.ocr_view import percent

CHOICE_RULES = ("extract.ocr_doubtful", "extract.ambiguous_split", "extract.ungrounded")
MAX_CHOICES = 12  # splits beyond these are typed in, not picked


@dataclass(frozen=True)
class Choice:
    """One reading a person may pick: the values it gives (key, value) and the reason written with the edit."""

    label: str
    values: tuple[tuple[str, Number | None], ...]
    reason: str


def held_keys(f: Finding) -> list[str]:
    """The cells the finding left without a value until a person picks one."""
    if f.rule == "extract.ambiguous_split":
        return list(f.detail.get("undecided") or f.keys)
    if f.rule in ("extract.ocr_doubtful", "extract.ungrounded"):
        return list(f.keys)
    return []


def choices(f: Finding) -> list[Choice]:
    """The readings of a held cell (or row) to pick from, most likely first."""
    if f.rule == "extract.ocr_doubtful" and f.keys:
        key = f.keys[0]
        out = []
        for r in f.detail.get("readings", []):
            p = r.get("probability")
            prob = f"（{percent(p)}）" if isinstance(p, (int, float)) else ""
            out.append(Choice(f"“{r.get('text', '')}”{prob}", ((key, r.get("value")),),
                              f"对照原图，采用扫描识读“{r.get('text', '')}”"))
        return out
    if f.rule == "extract.ungrounded" and f.keys and isinstance(n := f.detail.get("reading"), (int, float)):
        shown = number_text(n)
        return [Choice(f"模型读数 {shown}（原文该行中找不到）", ((f.keys[0], n),), f"对照原文，采用模型读数 {shown}")]
    if f.rule == "extract.ambiguous_split":
        held = held_keys(f)
        out, seen = [], set()
        for cand in f.detail.get("candidates", []):
            picked = tuple((k, n) for k, n in zip(f.keys, cand) if k in held)
            if len(picked) != len(held) or picked in seen:
                continue
            seen.add(picked)
            label = "　".join(f"{_short_name(k, held)} {number_text(n) if n is not None else '—'}" for k, n in picked)
            out.append(Choice(label, picked, "对照原文，选定数字的拆分：" + label))
            if len(out) == MAX_CHOICES:
                break
        return out
    return []


def _short_name(key: str, keys: list[str]) -> str:
    """A cell's name without what all ``keys`` share (``维持`` rather than ``行政复议·结果维持``)."""
    names = [cell_name(k).split("·") for k in keys]
    parts = cell_name(key).split("·")
    while len(parts) > 1 and all(len(n) > 1 and n[0] == parts[0] for n in names):
        parts = parts[1:]
        names = [n[1:] for n in names]
    return "·".join(parts)


def settled_by_pick(f: Finding, edited: set[str]) -> bool:
    """Has a person given every cell this finding held back a value (by picking a reading or typing one)?"""
    held = held_keys(f)
    return bool(held) and f.rule in CHOICE_RULES and all(k in edited for k in held)
