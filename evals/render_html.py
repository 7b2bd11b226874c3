"""HTML rendering: the official forms as tables with rowspan/colspan, in UTF-8 or GBK."""

from __future__ import annotations

from html import escape

from .gen_prose import Block
from .gen_tables import Grid, TableModel


def _cell_html(text: str, markup: bool) -> str:
    if not markup:
        return escape(text)
    if not text:
        return "&nbsp;"
    return f'<p style="text-align:center;line-height:150%"><span style="font-family:宋体;font-size:10.5pt">{escape(text)}</span></p>'


def _grid(g: Grid, markup: bool = False) -> list[str]:
    out = ['<table border="1" cellspacing="0" cellpadding="2" style="border-collapse:collapse">']
    if markup:
        out.append("<tbody>")
    for row in g.rows:
        tds = []
        for cell in row:
            attrs = (f' rowspan="{cell.rs}"' if cell.rs > 1 else "") + (f' colspan="{cell.cs}"' if cell.cs > 1 else "")
            tag = "td" if markup else ("th" if cell.head else "td")
            tds.append(f"<{tag}{attrs}>{_cell_html(cell.text, markup)}</{tag}>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>" if markup else "</table>")
    return out


def html(blocks: list[Block], tables: dict[str, TableModel], *, encoding: str, markup: bool = False) -> bytes:
    charset = "gbk" if encoding == "gbk" else "utf-8"
    title = next(b.text for b in blocks if b.kind == "title")
    out = ["<!DOCTYPE html>", "<html>", "<head>", f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">',
           f"<title>{escape(title)}</title>", "</head>", "<body>", '<div class="article">']
    for b in blocks:
        if b.kind == "title":
            out.append(f'<h1 style="text-align:center">{escape(b.text)}</h1>')
        elif b.kind == "heading":
            tag = "h2" if b.text[0] in "一二三四五六七八九" else "h3"
            out.append(f"<{tag}>{escape(b.text)}</{tag}>")
        elif b.kind == "para":
            out.append(f"<p>{escape(b.text)}</p>")
        elif b.kind == "sign":
            out.append(f'<p style="text-align:right">{escape(b.text)}</p>')
        elif b.kind == "table":
            t = tables[b.text]
            if t.id == "old":
                out.append(f'<p style="text-align:center"><b>{escape(t.title)}</b></p>')
            out += [f"<p>{escape(c)}</p>" for c in t.captions]
            out += _grid(t.grid, markup)
    out += ["</div>", "</body>", "</html>", ""]
    return "\n".join(out).encode(charset, errors="xmlcharrefreplace")
