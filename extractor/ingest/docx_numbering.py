"""The list numbers Word draws in front of numbered paragraphs ("一、", "（二）", "3.").

They are not in the paragraph text but in numbering.xml, and reports number their section headings
and table-三 item labels this way; without them "一、总体情况" would read as "总体情况". Counters are
kept per list (numId) in document order; a level restarts when a higher level advances.
"""

from __future__ import annotations

import re

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_VAL = W + "val"
_PUNCT_END = tuple(".、．:：)）]】")

_ZH = "零一二三四五六七八九"
_ZH_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_ZH_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_LEGAL_UNITS = ((1000, "仟"), (100, "佰"), (10, "拾"))
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def chinese_number(n: int, digits: str = _ZH, units=_ZH_UNITS) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 105 → 一百零五 (counting style); numbers from 10000 stay Arabic."""
    if n < 0 or n >= 10000:
        return str(n)
    if n < 10:
        return digits[n]
    if n < 20 and digits is _ZH:
        return units[2][1] + (digits[n - 10] if n > 10 else "")
    parts: list[str] = []
    zero = False
    for value, unit in (*units, (1, "")):
        q, n = divmod(n, value)
        if q:
            if zero:
                parts.append(digits[0])
                zero = False
            parts.append(digits[q] + unit)
        elif parts:
            zero = True
    return "".join(parts)


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _roman(n: int) -> str:
    out = ""
    for value, sym in _ROMAN:
        while n >= value:
            out += sym
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    """One counter value in a Word numFmt."""
    if fmt in ("bullet", "none"):
        return ""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "taiwaneseCountingThousand", "koreanCounting"):
        return chinese_number(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional", "japaneseLegal"):
        return chinese_number(n, _ZH_LEGAL, _LEGAL_UNITS)
    if fmt == "ideographTraditional":
        return _STEMS[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return _BRANCHES[(n - 1) % 12]
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalEnclosedParen" and 1 <= n <= 20:
        return chr(0x2474 + n - 1)
    if fmt == "decimalEnclosedFullstop" and 1 <= n <= 20:
        return chr(0x2488 + n - 1)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    return str(n)


def _int(el, default: int) -> int:
    try:
        return int(el.get(_VAL)) if el is not None else default
    except (TypeError, ValueError):
        return default


class Numbering:
    """Numbering definitions of one document plus the running counters."""

    def __init__(self, numbering=None, styles=None) -> None:
        self._abstract: dict[str, dict[int, object]] = {}
        self._nums: dict[str, tuple[str, dict[int, object], dict[int, int]]] = {}
        self._style_num: dict[str, tuple[str | None, int | None]] = {}
        self._style_parent: dict[str, str] = {}
        self._counters: dict[str, dict[int, int]] = {}
        if numbering is not None:
            for an in numbering.iterchildren(W + "abstractNum"):
                self._abstract[an.get(W + "abstractNumId")] = {
                    _int_attr(lvl, W + "ilvl"): lvl for lvl in an.iterchildren(W + "lvl")
                }
            for num in numbering.iterchildren(W + "num"):
                levels: dict[int, object] = {}
                starts: dict[int, int] = {}
                for ov in num.iterchildren(W + "lvlOverride"):
                    ilvl = _int_attr(ov, W + "ilvl")
                    if (lvl := ov.find(W + "lvl")) is not None:
                        levels[ilvl] = lvl
                    if (start := ov.find(W + "startOverride")) is not None:
                        starts[ilvl] = _int(start, 1)
                self._nums[num.get(W + "numId")] = (_val(num.find(W + "abstractNumId")) or "", levels, starts)
        if styles is not None:
            for st in styles.iterchildren(W + "style"):
                sid = st.get(W + "styleId")
                if (based := st.find(W + "basedOn")) is not None:
                    self._style_parent[sid] = based.get(_VAL)
                num_pr = st.find(f"{W}pPr/{W}numPr")
                if num_pr is not None:
                    ilvl = num_pr.find(W + "ilvl")
                    self._style_num[sid] = (_val(num_pr.find(W + "numId")), _int(ilvl, 0) if ilvl is not None else None)

    @classmethod
    def of(cls, document) -> Numbering:
        """From a python-docx Document; a document without numbering gets an empty one."""
        try:
            numbering = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            numbering = None
        try:
            styles = document.styles.element
        except (NotImplementedError, KeyError, AttributeError):
            styles = None
        return cls(numbering, styles)

    def _num_pr(self, p) -> tuple[str | None, int]:
        num_pr = p.find(f"{W}pPr/{W}numPr")
        num_id: str | None = None
        ilvl: int | None = None
        if num_pr is not None:
            num_id = _val(num_pr.find(W + "numId"))
            ilvl_el = num_pr.find(W + "ilvl")
            ilvl = _int(ilvl_el, 0) if ilvl_el is not None else None
        if num_id is None or ilvl is None:
            style = _val(p.find(f"{W}pPr/{W}pStyle"))
            seen: set[str] = set()
            while style and style not in seen:
                seen.add(style)
                s_num, s_lvl = self._style_num.get(style, (None, None))
                num_id = num_id or s_num
                ilvl = ilvl if ilvl is not None else s_lvl
                if num_id is not None:
                    break
                style = self._style_parent.get(style)
        return num_id, ilvl or 0

    def _level(self, num_id: str, ilvl: int):
        abstract_id, overrides, _ = self._nums.get(num_id, ("", {}, {}))
        return overrides.get(ilvl) if ilvl in overrides else self._abstract.get(abstract_id, {}).get(ilvl)

    def label(self, p) -> str:
        """The number Word shows before paragraph ``p`` (advancing the counters), or ""."""
        num_id, ilvl = self._num_pr(p)
        if not num_id or num_id == "0" or num_id not in self._nums:
            return ""
        lvl = self._level(num_id, ilvl)
        if lvl is None or _val(lvl.find(W + "numFmt")) in ("bullet", "none"):
            return ""
        counters = self._counters.setdefault(num_id, {})
        starts = self._nums[num_id][2]
        start = starts.get(ilvl, _int(lvl.find(W + "start"), 1))
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = _val(lvl.find(W + "lvlText")) or ""
        legal = lvl.find(W + "isLgl") is not None

        def sub(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            k_lvl = self._level(num_id, k)
            fmt = _val(k_lvl.find(W + "numFmt")) if k_lvl is not None else "decimal"
            k_start = starts.get(k, _int(k_lvl.find(W + "start"), 1) if k_lvl is not None else 1)
            value = counters.get(k, k_start)
            return format_number(value, "decimal" if legal and k != ilvl else (fmt or "decimal"))

        return re.sub(r"%([1-9])", sub, text)


def _val(el) -> str | None:
    return el.get(_VAL) if el is not None else None


def _int_attr(el, attr: str) -> int:
    try:
        return int(el.get(attr, "0"))
    except ValueError:
        return 0


def prefix(label: str, text: str) -> str:
    """Join a list number and its paragraph: no gap after punctuation ("一、总体情况"), else one space."""
    if not label:
        return text
    if not text:
        return label
    return label + text if label.endswith(_PUNCT_END) else f"{label} {text}"
