"""The words sent to the model: a short fixed instruction and one printed row per call.

The instruction is the same for every call (a server's prompt cache keeps it), the row part is small:
the table's title, the row's official label, the column labels in order and the row as printed. A
re-ask after a failed table identity quotes the rule and asks for a careful re-reading, and says
plainly that a report whose numbers do not add up is to be copied as printed.
"""

from __future__ import annotations

from extractor.llm.chunks import RowChunk
from extractor.llm.locate import RowTask
from extractor.llm.models import answer_json
from schemas import catalog

SYSTEM = (
    "你是政府信息公开年度报告的数据录入员。给你表格中一行的数值格，按列的顺序抄写每一格印刷的数字。"
    "只抄写原文中的数字，不计算、不推测、不改动；null、“—”、“/”的格填 null。"
    "回答格式：{\"数值\": [按列的顺序，每列一个数字或 null]}。"
)


def row_prompt(task: RowTask, text: str) -> list[dict[str, str]]:
    """The messages for reading one row: its official label, its columns, its printed value cells."""
    title = catalog.TABLE_TITLES.get(task.table, "")
    cols = " | ".join(task.columns)
    user = (  # what rows of one table share comes first: a server's prompt cache then keeps it too
        f"表：{title}\n"
        f"列（按顺序）：{cols}\n"
        f"行：{task.plain_label}\n"
        f"数值：{task.values_text(text)}"
    )
    if task.runtogether:
        user += "\n注意：这一行各列的数字印刷时连在了一起，请按列拆开；拆开的数字依次连起来必须与原文完全相同。"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def chunk_prompt(chunk: RowChunk, text: str) -> list[dict[str, str]]:
    """The messages for reading several one-column rows of one table: shaped like one row's, the rows
    in place of the columns and their printed numbers as the array the answer is (a small model copies
    an array; asked to pick numbers out of labeled lines, it copied a label's "3." for a row's 2)."""
    title = catalog.TABLE_TITLES.get(chunk.table, "")
    labels = " | ".join(t.plain_label for t in chunk.tasks)
    user = (
        f"表：{title}\n"
        f"列：{chunk.columns[0]}\n"
        f"行（按顺序，每行一个数）：{labels}\n"
        f"数值：{chunk.values_text(text)}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def reread_prompt(messages: list[dict[str, str]], previous: dict[str, int | float | None], rule: str,
                  several: bool = False) -> list[dict[str, str]]:
    """The one re-ask after a failed identity: the call's ``messages``, the answer given, the rule
    quoted, a careful re-reading asked for — never to make it add up. ``several``: rows of one column."""
    what = "逐行核对这几行" if several else "逐列核对这一行"
    return [*messages, {"role": "assistant", "content": answer_json(previous)}, {"role": "user", "content": (
        f"校验规则未通过：{rule}。请重新{what}原文，确认每个数字都与印刷的一致。"
        "如果原文本身的数字就对不上，照原文抄写，不要为了让数字相加而修改。"
    )}]


__all__ = ["SYSTEM", "chunk_prompt", "reread_prompt", "row_prompt"]
