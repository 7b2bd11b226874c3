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


# --------------------------------------------------------------------------- Word's HTML, cut out of the page
# Imitates ../shared/real/2011-pingtan-zone.html: the report's container cut out of the agency's page, as Word
# exported it into the CMS: upper-case tags, every paragraph and cell a <P style=…><SPAN style=…>, blanks &nbsp;,
# header cells broken over two paragraphs.
_P = ('<P style="LINE-HEIGHT: 27pt; TEXT-INDENT: 32pt; MARGIN: 0cm 0cm 0pt; FONT-FAMILY: 宋体; FONT-SIZE: 12pt">'
      '<SPAN style="FONT-FAMILY: 仿宋_GB2312; FONT-SIZE: 16pt">{}</SPAN></P>')
_TD = ('<TD style="BORDER-BOTTOM: windowtext 1pt solid; BORDER-LEFT: windowtext 1pt solid; PADDING-LEFT: 5.4pt; '
       'BORDER-TOP: medium none; BORDER-RIGHT: windowtext 1pt solid"{attrs} width=107>{body}</TD>')
_CELL_P = ('<P style="TEXT-ALIGN: center; MARGIN: 0cm 0cm 0pt; FONT-FAMILY: \'Times New Roman\'; FONT-SIZE: 10.5pt" '
           'align=center><SPAN style="FONT-FAMILY: 仿宋_GB2312; COLOR: black; FONT-SIZE: 12pt">{}</SPAN></P>')


def _word_cell(text: str) -> str:
    if not text:
        return '<P style="MARGIN: 0cm 0cm 0pt" align=center>&nbsp;</P>'
    if len(text) > 4 and text[:4].isdigit() and "年" in text:  # "2011年度" over two lines
        return _CELL_P.format(escape(text[:4])) + "\n" + _CELL_P.format(escape(text[4:]))
    return _CELL_P.format(escape(text))


def word_html(blocks: list[Block], tables: dict[str, TableModel]) -> bytes:
    out = ['<div class="article_content article_content_01 font_family_cn">']
    for b in blocks:
        if b.kind == "table":
            t = tables[b.text]
            if t.id == "old":
                out.append(_P.format(escape(t.title)))
            out += [_P.format(escape(c)) for c in t.captions]
            out.append('<DIV align=center>\n<TABLE style="BORDER-COLLAPSE: collapse" border=1 cellSpacing=0 '
                       'cellPadding=0 width=580>\n<TBODY>')
            for row in t.grid.rows:
                out.append("<TR>")
                for cell in row:
                    attrs = (f" rowSpan={cell.rs}" if cell.rs > 1 else "") + (f" colSpan={cell.cs}" if cell.cs > 1 else "")
                    out.append(_TD.format(attrs=attrs, body=_word_cell(cell.text)))
                out.append("</TR>")
            out.append("</TBODY></TABLE></DIV>")
        else:
            text = escape(b.text)
            out.append(_P.format(("　　" if b.kind == "heading" else "") + text))
    out.append("</div>")
    return "\n".join(out).encode("utf-8")
