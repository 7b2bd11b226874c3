"""Expected grids shared by the HTML and DOCX ingest tests (the same made-up 2021 table 三)."""

from __future__ import annotations

from extractor.document import Table, normalize
from schemas.catalog import columns, rows

C = None  # a covered slot in an expected grid


def label(row_id: str) -> str:
    """The official table-三 row label, normalized as Document text is."""
    return normalize(next(r.label for r in rows("t3", "2021") if r.id == row_id))


def grid(table: Table) -> list[list[str | None]]:
    """Cell texts, with None where a slot is covered by a spanning cell."""
    return [[C if c.covered else c.text for c in r] for r in table.rows]


# The numbers printed in the table-三 fixtures, row by row ("" = a printed blank).
T3_VALUES = {
    "本年新收": ["120", "8", "0", "1", "3", "0", "132"],
    "上年结转": ["5", "0", "0", "0", "0", "0", "5"],
    "予以公开": ["60", "4", "0", "1", "1", "0", "66"],
    "部分公开": ["10", "1", "0", "0", "1", "0", "12"],
    "不予公开.1": ["0"] * 7,
    "不予公开.2": ["0"] * 7,
    "不予公开.3": ["1", "0", "0", "0", "0", "0", "1"],
    "不予公开.4": ["2", "0", "0", "0", "0", "0", "2"],
    "不予公开.5": ["0"] * 6 + [""],
    "不予公开.6": ["0"] * 6 + [""],
    "不予公开.7": ["0"] * 6 + [""],
    "不予公开.8": ["0"] * 6 + [""],
    "无法提供.1": ["20", "1", "0", "0", "0", "0", "21"],
    "无法提供.2": ["3", "0", "0", "0", "0", "0", "3"],
    "无法提供.3": ["1", "0", "0", "0", "0", "0", "1"],
    "不予处理.1": ["4", "0", "0", "0", "0", "0", "4"],
    "不予处理.2": ["6", "0", "0", "0", "0", "0", "6"],
    "不予处理.3": ["0"] * 7,
    "不予处理.4": ["0"] * 7,
    "不予处理.5": ["1", "0", "0", "0", "0", "0", "1"],
    "其他处理.1": ["2", "0", "0", "0", "0", "0", "2"],
    "其他处理.2": ["0"] * 7,
    "其他处理.3": ["1", "0", "0", "0", "0", "0", "1"],
    "办理结果总计": ["111", "6", "0", "1", "2", "0", "120"],
    "结转下年度": ["14", "2", "0", "0", "1", "0", "17"],
}
GROUP_FIRST = {"不予公开.1": "不予公开", "无法提供.1": "无法提供", "不予处理.1": "不予处理", "其他处理.1": "其他处理"}


def expected_t3() -> list[list[str | None]]:
    """The official 2021 layout: 3 header rows, then 25 data rows under 10 columns."""
    note = normalize("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    t3_cols = [c.label for c in columns("t3", "2021")]
    out: list[list[str | None]] = [
        [note, C, C, "申请人情况", C, C, C, C, C, C],
        [C, C, C, "自然人", "法人或其他组织", C, C, C, C, "总计"],
        [C, C, C, C, *t3_cols[1:6], C],
    ]
    for row_id, values in T3_VALUES.items():
        if row_id in ("本年新收", "上年结转", "结转下年度"):
            cells: list[str | None] = [label(row_id), C, C]
        elif row_id == "予以公开":
            cells = [label("本年度办理结果"), label(row_id), C]
        elif row_id in ("部分公开", "办理结果总计"):
            cells = [C, label(row_id), C]
        elif row_id in GROUP_FIRST:
            cells = [C, label(GROUP_FIRST[row_id]), label(row_id)]
        else:
            cells = [C, C, label(row_id)]
        out.append(cells + values)
    return out
