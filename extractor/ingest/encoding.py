"""Decoding bytes of unknown encoding: UTF-8 first, then the Chinese codepages."""

from __future__ import annotations

import re

from extractor._errors import DecodingError

_META_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def decode(data: bytes, name: str = "", declared: str | None = None) -> str:
    """Decode text, trying a declared charset, BOMs, UTF-8, GB18030 (a superset of GBK/GB2312), UTF-16."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    candidates: list[str] = []
    if declared is None:
        m = _META_RE.search(data[:4096])
        declared = m.group(1).decode("ascii", "ignore") if m else None
    if declared:
        d = declared.lower()
        candidates.append("gb18030" if d in ("gbk", "gb2312", "gb_2312-80", "x-gbk", "cp936") else d)
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text
    raise DecodingError(name)


def _looks_like_text(text: str) -> bool:
    """Reject decodings full of control characters (a binary file read as GB18030 'succeeds')."""
    if not text:
        return False
    bad = sum(1 for c in text[:20000] if (ord(c) < 32 and c not in "\t\n\r\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad / min(len(text), 20000) < 0.01
