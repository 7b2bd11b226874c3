"""Splitting digit strings whose cells ran together ("693665" for 69 / 3 / 665).

A split is a way to cut the string into the row's number of cells with no leading zeros. The
table's own identities (a row's 总计 equals the sum of its parts, a stock is at least its
additions minus its repeals) prune the candidates; what survives is returned in full, so that
a person decides when more than one split fits instead of the reader guessing.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Sequence

Constraint = Callable[[Sequence[int | float | None]], bool]
BLANK = "—"
MAX_CANDIDATES = 5000


def _parts(s: str, n: int, max_len: int, signed: tuple[bool, ...] = ()) -> Iterator[list[str]]:
    sign = ""
    if s.startswith("-"):  # only a signed column (本年增/减) may start with a minus
        if not (signed and signed[0]):
            return
        sign, s = "-", s[1:]
    rest_signed = signed[1:] if signed else ()
    if n == 1:
        if s and len(s) <= max_len and "-" not in s and (s == "0" or not s.startswith("0") or s[1] == "\0"):
            yield [sign + s]
        return
    if s.startswith("0") and not s.startswith("0\0"):
        for rest in _parts(s[1:], n - 1, max_len, rest_signed):
            yield [sign + "0", *rest]
        return
    for i in range(1, min(max_len, len(s) - n + 1) + 1):
        if "-" in s[:i]:
            break
        for rest in _parts(s[i:], n - 1, max_len, rest_signed):
            yield [sign + s[:i], *rest]


def splits(digits: str, n: int, constraint: Constraint | None = None, *, max_len: int = 9,
           decimal_last: bool = False, signed: tuple[bool, ...] = ()) -> list[list[int | float]]:
    """Every way to read ``digits`` as ``n`` numbers that satisfies ``constraint``.

    ``signed`` marks the cells that may be negative (a minus sign may only open such a cell).
    """
    digits = digits.strip()
    if n <= 0 or not digits:
        return []
    out: list[list[int | float]] = []
    if "." in digits and not decimal_last:
        return []
    for parts in _parts(digits.replace(".", "\0"), n, max_len + 3, signed):
        try:
            nums: list[int | float] = []
            for p in parts:
                q = p.replace("\0", ".")
                if q.startswith(".") or q.endswith("."):
                    raise ValueError
                nums.append(float(q) if "." in q else int(q))
        except ValueError:
            continue
        if any(isinstance(x, float) for x in nums[:-1]):
            continue
        if constraint is None or constraint(nums):
            out.append(nums)
            if len(out) >= MAX_CANDIDATES:
                break
    return out


def total_is_sum(nums: Sequence[int | float | None]) -> bool:
    """The last number is the sum of the others (a 总计 column); a blank part counts as 0.

    A blank total constrains nothing: the validators report it, the reader must not fill it.
    """
    if nums[-1] is None:
        return True
    return abs(sum(x or 0 for x in nums[:-1]) - nums[-1]) < 1e-9


def groups_total_is_sum(size: int) -> Constraint:
    """Every group of ``size`` numbers ends with its own total (table 四 printed flat)."""

    def check(nums: Sequence[int | float]) -> bool:
        return all(total_is_sum(nums[i : i + size]) for i in range(0, len(nums), size))

    return check


def stock_at_least_change(nums: Sequence[int | float | None]) -> bool:
    """现行有效 ≥ 本年制发 − 本年废止 (table 二, 2021)."""
    return (nums[2] or 0) >= (nums[0] or 0) - (nums[1] or 0)


def splits_mixed(text: str, n: int, constraint: Constraint | None = None, *, max_len: int = 9,
                 decimal_last: bool = False, signed: tuple[bool, ...] = ()) -> list[list[int | float | None]]:
    """Like :func:`splits`, for text where blank cells print as "—" between runs of digits.

    Each "—" is one blank cell (``None``); each run of digits is cut into one or more cells.
    """
    tokens = re.findall(r"—|-?[\d.]+", text.replace("－", "-"))
    if "".join(tokens).replace("-", "") != text.replace("－", "-").replace("-", ""):
        return []
    if BLANK not in tokens:
        return splits(text, n, constraint, max_len=max_len, decimal_last=decimal_last, signed=signed)
    out: list[list[int | float | None]] = []

    def walk(ti: int, acc: list[int | float | None]) -> None:
        if len(out) >= MAX_CANDIDATES:
            return
        if ti == len(tokens):
            if len(acc) == n and (constraint is None or constraint(acc)):
                out.append(list(acc))
            return
        tok = tokens[ti]
        remaining_tokens = len(tokens) - ti - 1
        if tok == BLANK:
            if len(acc) < n:
                walk(ti + 1, acc + [None])
            return
        for k in range(1, n - len(acc) - remaining_tokens + 1):
            pos = len(acc)
            last = decimal_last and pos + k == n
            for part in splits(tok, k, None, max_len=max_len, decimal_last=last, signed=signed[pos:pos + k]):
                walk(ti + 1, acc + part)

    walk(0, [])
    return out
