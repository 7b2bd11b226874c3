"""Report-level rendering choices and the quirks of real reports, drawn once per report.

Every choice is made at generation time from the report's own random stream, so each layout renders
the same report the same way and the gold file can say which quirks a rendered file carries.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

# wordhtml imitates ../shared/real/2011-pingtan-zone.html (the report cut out of the agency's page, Word markup);
# pagetext imitates the archived page texts 2021-/2019-/2014-/2012-/2011-pingtan-*.txt (chrome, then the report on
# one line, cells run together or one space apart)
GRID_LAYOUTS = ("html", "docx", "pdf", "wordhtml")
TEXT_LAYOUTS = ("md", "layout", "cells", "runtogether", "pagetext")
LAYOUTS = GRID_LAYOUTS + TEXT_LAYOUTS
EXTENSIONS = {"html": "html", "docx": "docx", "pdf": "pdf", "wordhtml": "html", "md": "md", "layout": "txt",
              "cells": "txt", "runtogether": "txt", "pagetext": "txt"}

# quirk name → the layouts it shows in (a quirk switched on for a report is recorded only for these)
QUIRK_LAYOUTS: dict[str, tuple[str, ...]] = {
    "other_split": LAYOUTS,  # 2021 （六）其他处理 printed as three rows
    "t3_subtotals": LAYOUTS,  # 不予公开/无法提供/不予处理 printed with their own subtotal rows
    "zeros_blank": LAYOUTS,  # zero cells left blank
    "t3_row_totals_blank": LAYOUTS,  # 总计 column left blank on result rows (Shanghai 2019 style)
    "t4_flat": LAYOUTS,  # table 四 as the one 15-cell row of the official form
    "label_typo": LAYOUTS,  # "2.其他法律行政止公开"
    "wrapped_labels": ("layout", "cells"),
    "spaced_labels": LAYOUTS,  # "三 、本 年 度办 理 结果" in text layouts; table 四's "总 计" everywhere
    "fullwidth_digits": TEXT_LAYOUTS,
    "thousands_sep": GRID_LAYOUTS,
    "blank_dash": LAYOUTS,  # blanks printed as "—"
    "gbk": ("html",),
    "pdf_table_split": ("pdf",),
    "html_markup": ("html",),  # cell text wrapped in <p><span>, blanks as &nbsp;, as CMS editors save it
    "page_breaks": ("layout",),  # form feeds and page-number lines, also inside tables
    "floating_groups": ("layout",),
    "cumulative_column": LAYOUTS,  # the old table's 历年累计 beside the year's figure (Fujian, pingtan 2011–2014)
    "cumulative_first": LAYOUTS,  # ... printed before it
    "t4_blank": LAYOUTS,  # table 四 with nothing to report printed empty (&nbsp;), as one 2019 page does
    "page_cells_spaced": ("pagetext",),  # one space between cells (pingtan 2011/2014) instead of none
    "t2_2019_wording": LAYOUTS,  # the 2019 form's row label "规范性文件" (2021 renamed it 行政规范性文件)  # （三）不予公开 … printed amid or beside its items, not above them
}


@dataclass(frozen=True, slots=True)
class Style:
    other_split: bool = False
    t3_subtotals: bool = False
    zeros_blank: bool = False
    t3_row_totals_blank: bool = False
    t4_flat: bool = False
    label_typo: bool = False
    wrapped_labels: bool = False
    spaced_labels: bool = False
    fullwidth_digits: bool = False
    thousands_sep: bool = False
    blank_dash: bool = False
    gbk: bool = False
    pdf_table_split: bool = False
    fee_two_decimals: bool = False
    html_markup: bool = False
    page_breaks: bool = False
    floating_groups: bool = False
    t2_2019_wording: bool = False
    old_optional: tuple[str, ...] = ()
    cumulative_column: bool = False
    cumulative_first: bool = False
    t4_blank: bool = False
    page_cells_spaced: bool = False

    def quirks(self, layout: str | None = None) -> list[str]:
        """Names of the quirks this report carries (in ``layout``, when given)."""
        on = asdict(self)
        return [q for q, lays in QUIRK_LAYOUTS.items() if on.get(q) and (layout is None or layout in lays)]


def draw_style(rng: random.Random, template: str, *, clean_blanks: bool = False) -> Style:
    """Pick the report's rendering choices. ``clean_blanks`` avoids blanks that hide identity terms."""
    new = template != "2008"
    old_optional: tuple[str, ...] = ()
    if not new:
        old_optional = tuple(r for r, p in (("建议提案办理结果公开数", 0.6), ("新闻发布会.主要负责同志", 0.7),
                                            ("在线访谈.主要负责同志", 0.7)) if rng.random() < p)
    return Style(
        other_split=template == "2021" and rng.random() < 0.5,
        t3_subtotals=new and rng.random() < 0.15,
        zeros_blank=rng.random() < (0.5 if not new else 0.15),
        t3_row_totals_blank=new and not clean_blanks and rng.random() < 0.05,
        t4_flat=new and rng.random() < 0.5,
        label_typo=new and rng.random() < 0.2,
        wrapped_labels=rng.random() < 0.5,
        spaced_labels=new and rng.random() < 0.3,
        fullwidth_digits=rng.random() < 0.15,
        thousands_sep=rng.random() < 0.2,
        blank_dash=rng.random() < 0.2,
        gbk=rng.random() < 0.4,
        pdf_table_split=rng.random() < 0.5 or not new,  # the old 统计表 is longer than a page anyway
        fee_two_decimals=rng.random() < 0.5,
        old_optional=old_optional,
        # drawn last so that adding a choice never shifts the earlier ones
        html_markup=rng.random() < 0.4,
        page_breaks=rng.random() < 0.5,
        floating_groups=new and rng.random() < 0.5,
        t2_2019_wording=template == "2019" and rng.random() < 0.8,
        cumulative_column=not new and rng.random() < 0.3,
        cumulative_first=not new and rng.random() < 0.25,
        t4_blank=rng.random() < 0.3 and new and not clean_blanks,
        page_cells_spaced=rng.random() < 0.4,
    )
