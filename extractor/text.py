"""Low-level text every layer may use: labels in the form they are compared in, and the prose.

Printed labels differ from the official wording in many small ways: full/half-width brackets,
stray spaces from wrapped lines, enumerators ("（三）", "3.", "一、", "其中："), explanatory notes in
parentheses and quotes. ``canonical`` drops spaces, the enumerator and quotes; ``core`` also the notes
and punctuation: the label's kernel, which the reader matches and the rules name rows by.
``build_prose`` gives the narrative (the paragraphs, without the tables) as one string without
whitespace, with a map back to document offsets: metadata detection and the prose figures read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from extractor.document import Document, squash

_ENUM = re.compile(
    r"^(其中[:：]?)?"
    r"([(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．,，]|\d+[.．、,，](?!\d)|[①②③④⑤⑥⑦⑧⑨])?"
    r"(其中[:：]?)?"
)
_PAREN = re.compile(r"[(（][^()（）]*[)）]")
_QUOTES = re.compile(r"[\"'“”‘’《》「」]")
_PUNCT = re.compile(r"[、,，。:：;；·．.]")


def enumerator(label: str) -> str:
    """The leading enumerator of a label ("（三）", "3.", "一、"), normalized, or ""."""
    s = squash(label)
    m = _ENUM.match(s)
    return m.group(2) or "" if m else ""


@lru_cache(maxsize=8192)
def canonical(label: str) -> str:
    """The form labels are compared in."""
    s = squash(label)
    s = _ENUM.sub("", s, count=1)
    return _QUOTES.sub("", s)


@lru_cache(maxsize=8192)
def core(label: str) -> str:
    """Canonical form without parenthetical notes and punctuation: the label's kernel."""
    s = _PAREN.sub("", canonical(label))
    s = re.sub(r"[(（].*$", "", s)  # an unclosed note cut by a line wrap
    return _PUNCT.sub("", s)


BREAK = "¶"  # marks where a sentence or a short line ends, between two segments of the prose
SENTENCE_END = ("。", "！", "？", "；", ":", "：")


@dataclass(slots=True)
class ProseText:
    """The prose with whitespace removed, segment breaks marked, and a map back to document offsets."""

    text: str
    offsets: list[int]

    def span(self, a: int, b: int) -> tuple[int, int]:
        return self.offsets[a], self.offsets[max(b - 1, a)] + 1


def build_prose(doc: Document) -> ProseText:
    chars: list[str] = []
    offs: list[int] = []
    for p in doc.paragraphs():
        t = p.text
        base = p.span.start
        for i, ch in enumerate(t):
            if ch.isspace():
                continue
            chars.append(ch)
            offs.append(base + i)
        stripped = t.strip()
        if stripped.endswith(SENTENCE_END) or len(stripped) <= 20:
            chars.append(BREAK)
            offs.append(p.span.end)
    return ProseText("".join(chars), offs)


def prose_text(doc: Document) -> str:
    """The prose as one string without whitespace (segment marks removed)."""
    return build_prose(doc).text.replace(BREAK, "")


__all__ = ["BREAK", "ProseText", "build_prose", "canonical", "core", "enumerator", "prose_text"]
