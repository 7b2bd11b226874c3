"""The values of one row: the value tokens between its label and the next row's label.

The first run of value tokens after the label is the row's (text between two numbers ends the run:
a wrapped label's last line, a caption, the prose after the table). The next row's Arabic
enumerator that ran into the digits ("00000002.其他法律…") is cut off, digits inside the label's
own notes ("计1条") are not values, and page furniture is skipped. A grid's blank cells are tokens
of their own, so "blank" is read as blank; in text without cells a run of digits may hold several
cells, and every way to cut it that the row's own identities allow is kept as a candidate for the
table-wide solver (``solve.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from extractor.reader.anchors import Anchor
from extractor.reader.numbers import parse_cell
from extractor.reader.solve import Candidate, Number
from extractor.reader.stream import UNITS, Stream, Token

_UNIT_HEAD = re.compile("^(" + "|".join(UNITS) + ")")
_SKIPPABLE = re.compile(r"^[\s:：·|｜,，、;；]*$")


def enumerators(stream: Stream, anchors: list[Anchor]) -> dict[int, int]:
    """Token index → digits to cut off its end: the next row's Arabic enumerator run into a number.

    "…属于国家秘密00000002.其他法律…" prints 不予公开.1's seven zeros and 不予公开.2's "2." as one
    digit string. An enumerator counts on from the previous item's (restarting at 1), so which
    digits belong to it is known even where the digits before it ran together.
    """
    cuts: dict[int, int] = {}
    previous: int | None = None
    toks = stream.tokens
    for a in anchors:
        tok = toks[a.first_token]
        head = stream.document.text[tok.start:a.start]
        i = a.first_token - 1
        if tok.kind == "text" and re.fullmatch(r"[.、．]\s*", head) and i >= 0 and toks[i].kind == "number" \
                and not (toks[i].sep_after or tok.sep_before):
            digits = toks[i].text
            expected = str(previous + 1 if previous is not None else 1)
            if digits == expected or len(digits) == 1:
                k = len(digits)
            elif digits.endswith(expected):
                k = len(expected)
            else:
                k = 1
            cuts[i] = k
            previous = int(digits[-k:])
        else:
            previous = a.enum
    return cuts


def region(stream: Stream, anchor: Anchor, stop: int, cuts: dict[int, int]) -> list[Token]:
    """The value tokens a row printed: the first run of them after its label, before ``stop`` (the offset
    where the next row's label starts)."""
    toks = stream.tokens
    label_tokens = set(stream.proj_token[anchor.p0:anchor.p1])
    out: list[Token] = []
    line = None
    i = anchor.first_token
    while i < len(toks) and toks[i].start < stop:
        t = toks[i]
        if t.kind == "chrome":
            i += 1
            continue
        if t.is_value:
            if _inside_label_note(stream, i):
                i += 1
                continue
            if out and line is not None and t.line != line:
                break
            if i in cuts:
                digits = t.text[:len(t.text) - cuts[i]]
                if digits:
                    out.append(_cut(t, digits))
                break
            out.append(t)
            line = t.line
        elif t.kind == "text":
            if i in label_tokens and not out:
                i += 1
                continue
            if out:
                if _UNIT_HEAD.match(t.text) and not t.sep_before and out[-1].kind == "number":
                    break  # "75394432.52元三、收到…": the unit, then other text
                if t.text in UNITS or _SKIPPABLE.match(t.text):
                    i += 1
                    continue
                break
        i += 1
    return out


_SENTENCE_AFTER = re.compile(r"^\s*(?:万元|人次|件|条|次|篇|人|个|元|项)?\s*[。；;，,]")


def in_sentence(stream: Stream, tokens: list[Token]) -> bool:
    """Whether the values are a sentence's figures ("行政许可决定：1204件。"), not a table row's cells:
    a table cell is never followed by a full stop or a comma."""
    if not tokens or tokens[-1].kind != "number":
        return False
    return bool(_SENTENCE_AFTER.match(stream.document.text[tokens[-1].end:tokens[-1].end + 6]))


def _inside_label_note(stream: Stream, i: int) -> bool:
    """A digit inside a label's note ("（…计1条）", wrapped or not): a bracket opened before it closes
    right after it, with at most a unit between. A value is followed by a space, a border or a label."""
    toks = stream.tokens
    t = toks[i]
    if i + 1 >= len(toks):
        return False
    after = toks[i + 1]
    if after.kind != "text" or not re.match(r"^(条|次|件|个|篇|人|项)?[)）]", after.text):
        return False
    head = stream.document.text[max(0, t.start - 40):t.start]
    return head.rfind("(") > head.rfind(")")


def _cut(t: Token, digits: str) -> Token:
    return replace(t, text=digits, end=t.start + len(digits), sep_after=True)


def unit_after(stream: Stream, tokens: list[Token]) -> str | None:
    """The unit printed right after a row's last number, when there is one ("…432.52元")."""
    if not tokens:
        return None
    last = tokens[-1]
    i = stream.token_at(last.start)
    if i + 1 < len(stream.tokens):
        nxt = stream.tokens[i + 1]
        m = _UNIT_HEAD.match(nxt.text) if nxt.kind == "text" and not nxt.sep_before else None
        if m:
            return m.group(1)
    return None


RowCheck = Callable[[Sequence[Number | None]], bool]


def readings(tokens: list[Token], n: int, *, decimal: tuple[bool, ...], signed: tuple[bool, ...],
             check: RowCheck | None = None) -> tuple[list[Candidate], bool, str | None]:
    """Every way to read the tokens as ``n`` cells: (candidates, one token per cell, problem).

    ``check(prefix)`` is the row's own identities over the cells read so far: it prunes a split as
    soon as a group of cells it covers is complete.
    """
    toks = list(tokens)
    if len(toks) > n:  # a grid's empty label cells before the values, or after them
        while len(toks) > n and toks[0].kind == "blank":
            toks.pop(0)
        while len(toks) > n and toks[-1].kind == "blank":
            toks.pop()
    if len(toks) > n:
        return [], False, f"应有 {n} 个数值，读到 {len(toks)} 个"
    if not toks:
        return [], False, None
    if len(toks) == n:
        cells: list[Number | None] = []
        for t, dec in zip(toks, decimal):
            c = parse_cell(t.text)
            if c.status == "number" and isinstance(c.value, float) and not dec and not c.value.is_integer():
                break
            cells.append(c.value if c.status == "number" else None)
        if len(cells) == n:
            return [tuple(cells)], True, None  # as printed, even where it breaks the row's identity
    return _split(toks, n, decimal, signed, check), False, None


def _split(toks: list[Token], n: int, decimal: tuple[bool, ...], signed: tuple[bool, ...],
           check: RowCheck | None) -> list[Candidate]:
    """Cut run-together tokens into ``n`` cells: every token gives one or more cells, a blank one.

    A cell has no leading zero, holds a decimal point only in a money column and a minus sign only
    in a signed one, and at most ``MAX_DIGITS`` digits.
    """
    out: list[Candidate] = []
    acc: list[Number | None] = []
    capacity = [0] * (len(toks) + 1)  # how many cells the tokens from i on can give at most
    for i in range(len(toks) - 1, -1, -1):
        t = toks[i]
        splittable = t.kind == "number" and "," not in t.text
        dashes = t.kind == "dash" and not t.whole_cell
        capacity[i] = capacity[i + 1] + (len(t.text.replace(".", "").lstrip("+-")) if splittable
                                         else len(t.text) if dashes else 1)

    def fits() -> bool:
        return check is None or check(acc)

    def walk(ti: int, ci: int) -> None:
        if len(out) >= MAX_CANDIDATES:
            return
        pos = len(acc)
        if ti == len(toks):
            if pos == n:
                out.append(tuple(acc))
            return
        t = toks[ti]
        if pos >= n or n - pos > capacity[ti] - (ci and _used(t.text, ci)):
            return
        if t.kind == "dash" and not t.whole_cell and len(t.text) > 1:
            # "———" run together: one blank cell per dash (or one cell printed "——")
            for k in range(min(len(t.text), n - pos - (len(toks) - ti - 1)), 0, -1):
                if len(t.text) % k:
                    continue
                acc.extend([None] * k)
                if fits():
                    walk(ti + 1, 0)
                del acc[-k:]
            return
        if t.kind != "number" or "," in t.text:
            c = parse_cell(t.text)
            if c.status == "number" and isinstance(c.value, float) and not decimal[pos]:
                return
            acc.append(c.value if c.status == "number" else None)
            if fits():
                walk(ti + 1, 0)
            acc.pop()
            return
        text = t.text
        left_tokens = len(toks) - ti - 1
        end = len(text)
        for j in range(ci + 1, end + 1):
            part = text[ci:j]
            if not _valid_cell(part, decimal[pos], signed[pos]):
                if len(part.lstrip("+-").replace(".", "")) > MAX_DIGITS + MAX_DECIMALS:
                    break
                continue
            if j < end and text[j] == ".":
                continue  # a cell never ends right before a decimal point
            value: Number = float(part) if "." in part else int(part)
            acc.append(value)
            if fits():
                if j == end:
                    if n - pos - 1 >= left_tokens:
                        walk(ti + 1, 0)
                elif pos + 1 < n:
                    walk(ti, j)
            acc.pop()

    walk(0, 0)
    return out


MAX_DIGITS = 9  # of a cell's whole part
MAX_CANDIDATES = 5000  # readings of one row kept for the solver and a person
MAX_DECIMALS = 6  # 万元 printed to the yuan and its cents: 24252.311082


def _used(text: str, ci: int) -> int:
    return len(text[:ci].replace(".", "").lstrip("+-"))


def _valid_cell(part: str, money: bool, signed: bool) -> bool:
    body = part
    if body.startswith(("-", "+")):
        if not signed or body.startswith("+"):
            return False
        body = body[1:]
    if not body or "-" in body or "+" in body:
        return False
    fraction = ""
    if "." in body:
        if not money or body.count(".") > 1 or body.startswith(".") or body.endswith("."):
            return False
        whole, fraction = body.split(".")
    else:
        whole = body
    if len(whole) > 1 and whole.startswith("0"):
        return False
    return len(whole) <= MAX_DIGITS and len(fraction) <= MAX_DECIMALS


__all__ = ["enumerators", "in_sentence", "readings", "region", "unit_after"]
