"""The validator rule ids the generator writes into ``expected_findings``.

Kept in one place so they can be aligned with ``extractor/rules`` by editing a single dict: the key is
the identity as the generator names it (templates.md section C ids where there is one), the value the
rule id the validators report.
"""

from __future__ import annotations

RULE_IDS: dict[str, str] = {
    # table 三 (2019 / 2021)
    "T3-1": "t3.balance",  # 一 + 二 = （七）总计 + 四, per column
    "T3-2": "t3.results_total",  # （七）总计 = Σ result items, per column
    "T3-4": "t3.row_total",  # 总计 = Σ six applicant columns, per row
    # table 四
    "T4-1": "t4.group_total",  # 总计 = 维持 + 纠正 + 其他 + 尚未审结, per group
    # table 二 (2021)
    "T2-2": "t2.stock",  # 现行有效 ≥ 本年制发 − 本年废止
    "T2o-1": "t2.stock",  # 2019 format: 对外公开总数量 ≥ 本年新公开数量
    # the old 统计表 (2008)
    "O-1": "old.channels_upper",  # 主动公开数 > Σ channels
    "O-6": "old.applications_sum",
    "O-7": "old.closed_sum",
    "O-8": "old.replies_sum",
    "O-9": "old.refusal_reasons",
    "O-11a": "old.review_sum",
    "O-11b": "old.litigation_sum",
    "O-12": "old.staff_sum",
    "O-resp": "old.responses_sum",  # 回应解读总数 = Σ five ways
    # report level
    "prose": "prose.mismatch",
    "blank": "value.blank_total",
}

# identities the generator can break, per template (ids of RULE_IDS)
BREAKABLE: dict[str, tuple[str, ...]] = {
    "2021": ("T3-1", "T3-2", "T3-4", "T4-1", "T2-2"),
    "2019": ("T3-1", "T3-2", "T3-4", "T4-1", "T2o-1"),
    "2008": ("O-1", "O-6", "O-7", "O-8", "O-9", "O-11a", "O-11b", "O-12", "O-resp"),
}


def rule_id(name: str) -> str:
    """The validator id of a generator identity name (KeyError for an unknown one)."""
    return RULE_IDS[name]
