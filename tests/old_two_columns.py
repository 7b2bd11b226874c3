"""An old-template (2008) report printed with the optional second column 历年累计, built from a generated one."""

from __future__ import annotations

import re
from collections.abc import Callable

from evals.generator import generate, render, retell

_ROW = re.compile(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>")


def _number(text: str) -> float | None:
    t = text.replace(",", "")
    return float(t) if re.fullmatch(r"\d+(\.\d+)?", t) else None


def two_column_html(seed: int, year: int, cumulative: Callable[[float], float],
                    changed: dict[str, float] | None = None) -> tuple[bytes, list[tuple[str, float]]]:
    """The report of ``seed`` for ``year`` with a 历年累计 cell ``cumulative(value)`` on every row printing a
    number (``changed``: label fragment → cumulative instead); returns the HTML and (label, cumulative)s."""
    report = retell(generate(seed, "2008"), year=year)
    assert not report.style.gbk and not report.style.html_markup, "pick a seed rendered as plain UTF-8 HTML"
    html = render(report, "html").decode("utf-8")
    printed: list[tuple[str, float]] = []

    def add(m: re.Match[str]) -> str:
        label, _unit, value = m.groups()
        v = _number(value)
        if v is None:
            return m.group(0)[:-5] + "<td></td></tr>"
        cum = next((c for frag, c in (changed or {}).items() if frag in label), cumulative(v))
        printed.append((label, cum))
        return m.group(0)[:-5] + f"<td>{cum:g}</td></tr>"

    html = html.replace("<th>统计数</th></tr>", "<th>统计数</th><th>历年累计</th></tr>", 1)
    return _ROW.sub(add, html).encode("utf-8"), printed
