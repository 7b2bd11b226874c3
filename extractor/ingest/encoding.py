"""Decoding bytes of unknown encoding: UTF-8 first, then the Chinese codepages."""

from __future__ import annotations

import re

from extractor._errors import DecodingError

_META_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
# a <meta> charset may sit after long inline scripts; look for it specifically in a wider window
_META_TAG_RE = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_GB_FAMILY = ("gbk", "gb2312", "gb_2312-80", "x-gbk", "cp936", "gb_2312", "csgb2312", "euc-cn", "x-euc-cn")
_MAX_REPLACED = 0.001  # share of characters a lenient decoding may replace (a stray bad byte on a web page)


def decode(data: bytes, name: str = "", declared: str | None = None) -> str:
    """Decode text, trying a declared charset, BOMs, UTF-8, GB18030 (a superset of GBK/GB2312), UTF-16."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    candidates: list[str] = []
    if declared is None:
        m = _META_TAG_RE.search(data[:32768]) or _META_RE.search(data[:4096])
        declared = m.group(1).decode("ascii", "ignore") if m else None
    # Bytes that are valid UTF-8 and not plain ASCII are UTF-8 whatever the page declares: sites re-encode
    # pages and keep the old <meta charset=gb2312>, and GB18030 would "decode" UTF-8 into mojibake.
    candidates.append("utf-8")
    if declared:
        d = declared.lower()
        candidates.append("gb18030" if d in _GB_FAMILY else d)
    candidates.append("gb18030")
    for enc in dict.fromkeys(candidates):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text
    lenient = _lenient(data, dict.fromkeys(candidates))
    if lenient is not None:
        return lenient
    raise DecodingError(name)


def _lenient(data: bytes, encodings) -> str | None:
    """A decoding that replaces only a few stray bytes (one broken character in a long page)."""
    best: tuple[int, str] | None = None
    for enc in encodings:
        try:
            text = data.decode(enc, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if best is None or bad < best[0]:
            best = (bad, text)
    if best is None or not best[1] or best[0] > len(best[1]) * _MAX_REPLACED or not _looks_like_text(best[1]):
        return None
    return best[1]


def _looks_like_text(text: str) -> bool:
    """Reject decodings full of control characters (a binary file read as GB18030 'succeeds')."""
    if not text:
        return False
    bad = sum(1 for c in text[:20000] if (ord(c) < 32 and c not in "\t\n\r\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad / min(len(text), 20000) < 0.01
