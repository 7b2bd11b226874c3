"""Error injection: break one identity, change one prose figure, or blank one required total.

Each injector edits the printed values and returns the findings a validator must raise, as
``{"rule": <rule id>, "keys": [...]}`` (keys: the cells of the broken identity instance, total first),
plus a free-text note for the gold file's ``known_inconsistencies``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .gen_values import Number, t3_applicant_columns, t3_result_rows
from .rule_ids import RULE_IDS

Values = dict[str, Number | None]
Finding = dict[str, object]


def _n(v: Values, k: str) -> Number:
    x = v.get(k)
    return 0 if x is None else x


def _finding(name: str, keys: list[str]) -> Finding:
    return {"rule": RULE_IDS[name], "keys": keys}


def _print_a_part(v: Values, parts: list[str] | tuple[str, ...]) -> None:
    """When every part of an identity is blank, print the first as 0: a blank-only sum proves nothing."""
    if all(v.get(p) is None for p in parts):
        v[parts[0]] = 0


def _shift(rng: random.Random, total: Number) -> int:
    """A non-zero change that keeps the total ≥ 0."""
    d = rng.randint(1, max(1, int(total) // 5 + 2))
    if total >= d and rng.random() < 0.5:
        return -d
    return d


# --------------------------------------------------------------------------- table 三
def _t3_leaves(v: Values, template: str) -> list[str]:
    return t3_result_rows(template, any(k.startswith("t3.其他处理.1.") for k in v))


def _balance_keys(c: str) -> list[str]:
    return [f"t3.{r}.{c}" for r in ("本年新收", "上年结转", "办理结果总计", "结转下年度")]


def _results_keys(v: Values, template: str, c: str) -> list[str]:
    return [f"t3.办理结果总计.{c}"] + [f"t3.{r}.{c}" for r in _t3_leaves(v, template)]


def _row_keys(r: str) -> list[str]:
    return [f"t3.{r}.总计"] + [f"t3.{r}.{c}" for c in t3_applicant_columns()]


def t3_balance(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    c = rng.choice(t3_applicant_columns())
    d = _shift(rng, min(_n(v, f"t3.结转下年度.{c}"), _n(v, "t3.结转下年度.总计")))
    for col in (c, "总计"):
        v[f"t3.结转下年度.{col}"] = _n(v, f"t3.结转下年度.{col}") + d
    note = (f"t3 结转下年度 changed by {d:+d} in columns {c} and 总计: 本年新收 + 上年结转 ≠ （七）总计 + 结转下年度 "
            f"in both columns (row 结转下年度 still adds up)")
    return [_finding("T3-1", _balance_keys(c)), _finding("T3-1", _balance_keys("总计"))], note


def t3_results_total(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    c = rng.choice(t3_applicant_columns())
    leaf = rng.choice([r for r in _t3_leaves(v, template) if "." not in r])
    d = rng.randint(1, 9)
    for col in (c, "总计"):
        v[f"t3.{leaf}.{col}"] = _n(v, f"t3.{leaf}.{col}") + d
    note = (f"t3 {leaf} raised by {d} in columns {c} and 总计: the result items no longer add up to （七）总计 "
            f"in those columns")
    return [_finding("T3-2", _results_keys(v, template, c)), _finding("T3-2", _results_keys(v, template, "总计"))], note


def t3_row_total(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    plain = [r for r in _t3_leaves(v, template) if f"t3.{r.split('.')[0]}.总计" not in v or "." not in r]
    donor = max(plain, key=lambda r: _n(v, f"t3.{r}.总计"))
    taker = rng.choice([r for r in plain if r != donor])
    d = rng.randint(1, int(_n(v, f"t3.{donor}.总计")))
    v[f"t3.{donor}.总计"] = _n(v, f"t3.{donor}.总计") - d
    v[f"t3.{taker}.总计"] = _n(v, f"t3.{taker}.总计") + d
    _print_a_part(v, _row_keys(taker)[1:])
    note = (f"t3 总计 column: {donor} lowered by {d} and {taker} raised by {d}; both rows' 总计 differ from the sum "
            f"of their six applicant columns (the 总计 column itself still adds up)")
    return [_finding("T3-4", _row_keys(taker)), _finding("T3-4", _row_keys(donor))], note


# --------------------------------------------------------------------------- table 四 / 二
def t4_group_total(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    g = rng.choice(("复议", "诉讼未经复议", "诉讼复议后"))
    k = f"t4.{g}.总计"
    d = _shift(rng, _n(v, k))
    v[k] = _n(v, k) + d
    keys = [k] + [f"t4.{g}.{c}" for c in ("维持", "纠正", "其他", "尚未审结")]
    return [_finding("T4-1", keys)], f"t4 {g} 总计 changed by {d:+d}: it is no longer 维持+纠正+其他+尚未审结"


def t2_stock(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    row = rng.choice(("规章", "行政规范性文件"))
    made, gone, live = (f"t2.{row}.{c}" for c in ("本年制发", "本年废止", "现行有效"))
    if _n(v, made) - _n(v, gone) < 1:
        v[made] = int(_n(v, gone)) + rng.randint(1, 6)
    v[live] = rng.randint(0, int(_n(v, made) - _n(v, gone)) - 1)
    note = f"t2 {row}: 现行有效 {v[live]} < 本年制发 {v[made]} − 本年废止 {_n(v, gone)}"
    return [_finding("T2-2", [live, made, gone])], note


def t2_stock_2019(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    row = rng.choice(("规章", "行政规范性文件"))
    made, new, stock = (f"t2.{row}.{c}" for c in ("本年新制作", "本年新公开", "对外公开总数"))
    if _n(v, new) < 1:
        v[new] = rng.randint(1, 6)
        v[made] = max(_n(v, made), v[new])
    v[stock] = rng.randint(0, int(_n(v, new)) - 1)
    note = f"t2 {row}: 对外公开总数量 {v[stock]} < 本年新公开数量 {v[new]}"
    return [_finding("T2o-1", [stock, new])], note


# --------------------------------------------------------------------------- the old 统计表
_OLD_SUMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "O-6": ("old.收到申请数", ("old.申请.当面", "old.申请.传真", "old.申请.网络", "old.申请.信函")),
    "O-7": ("old.办结数", ("old.办结.按时", "old.办结.延期")),
    "O-8": ("old.答复数", tuple(f"old.答复.{k}" for k in ("已主动公开", "同意公开", "部分公开", "不同意公开", "非本机关",
                                                        "信息不存在", "更改补充", "其他途径"))),
    "O-11a": ("old.复议", ("old.复议.维持", "old.复议.纠错", "old.复议.其他")),
    "O-11b": ("old.诉讼", ("old.诉讼.维持", "old.诉讼.纠错", "old.诉讼.其他")),
    "O-12": ("old.工作人员", ("old.工作人员.专职", "old.工作人员.兼职")),
    "O-resp": ("old.回应解读总数", tuple(f"old.{k}" for k in ("新闻发布会", "在线访谈", "政策解读稿件", "微博微信回应",
                                                           "其他方式回应"))),
}
_REASONS = tuple(f"old.不同意.{k}" for k in ("国家秘密", "商业秘密", "个人隐私", "三安全一稳定", "非政府信息", "其他情形"))
_CHANNELS = tuple(f"old.渠道.{k}" for k in ("政府公报", "政府网站", "政务微博", "政务微信", "其他"))


# which way a total may move without breaking a neighbouring soft rule (办结数 ≤ 收到申请数, …)
_DIRECTION = {"O-6": 1, "O-7": -1, "O-resp": 1}  # 回应解读总数 stays ≥ 回应热点舆情数


def _old_sum(name: str) -> Callable[[random.Random, Values, str], tuple[list[Finding], str]]:
    total, parts = _OLD_SUMS[name]

    def inject(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
        d = _shift(rng, _n(v, total))
        if name in _DIRECTION:
            d = _DIRECTION[name] * abs(d)
            if _n(v, total) + d < 0:
                d = 1
        v[total] = _n(v, total) + d
        _print_a_part(v, parts)
        note = f"{total} changed by {d:+d}: {v[total]} ≠ {' + '.join(str(_n(v, p)) for p in parts)}"
        return [_finding(name, [total, *parts])], note

    return inject


def old_channels(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    s = sum(_n(v, k) for k in _CHANNELS)
    v["old.主动公开数"] = s + rng.randint(1, max(1, int(s) // 50 + 3))
    note = f"old.主动公开数 {v['old.主动公开数']} exceeds the sum of its channels {s}"
    return [_finding("O-1", ["old.主动公开数", *_CHANNELS])], note


def old_refusals(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str]:
    if _n(v, "old.答复.不同意公开") == 0:  # make one refusal out of the largest other reply
        other = max(_OLD_SUMS["O-8"][1], key=lambda k: _n(v, k))
        v[other] = _n(v, other) - 1
        v["old.答复.不同意公开"] = 1
        v[rng.choice(_REASONS)] = 1
    k = rng.choice([r for r in _REASONS if _n(v, r) > 0])
    d = rng.randint(1, int(_n(v, k)))
    v[k] = _n(v, k) - d
    note = (f"{k} lowered by {d}: the refusal reasons add up to {sum(_n(v, r) for r in _REASONS)}, "
            f"less than 不同意公开 {_n(v, 'old.答复.不同意公开')}")
    return [_finding("O-9", ["old.答复.不同意公开", *_REASONS])], note


INJECTORS: dict[str, Callable[[random.Random, Values, str], tuple[list[Finding], str]]] = {
    "T3-1": t3_balance, "T3-2": t3_results_total, "T3-4": t3_row_total, "T4-1": t4_group_total, "T2-2": t2_stock,
    "T2o-1": t2_stock_2019,
    "O-1": old_channels, "O-9": old_refusals,
    **{name: _old_sum(name) for name in _OLD_SUMS},
}

# totals the "blank" injection may empty, with the parts that make them required
BLANKABLE: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "new": (("t3.本年新收.总计", tuple(f"t3.本年新收.{c}" for c in ("自然人", "商业企业", "科研机构", "社会公益组织",
                                                                    "法律服务机构", "其他"))),
            ("t3.办理结果总计.总计", tuple(f"t3.办理结果总计.{c}" for c in ("自然人", "商业企业", "科研机构", "社会公益组织",
                                                                           "法律服务机构", "其他"))),
            ("t4.复议.总计", tuple(f"t4.复议.{c}" for c in ("维持", "纠正", "其他", "尚未审结"))),
            ("t4.诉讼未经复议.总计", tuple(f"t4.诉讼未经复议.{c}" for c in ("维持", "纠正", "其他", "尚未审结")))),
    # only totals that are sums of their parts (主动公开数 is a de-duplicated count, not a sum)
    "old": tuple((t, p) for t, p in _OLD_SUMS.values()),
}


def blank_total(rng: random.Random, v: Values, template: str) -> tuple[list[Finding], str] | None:
    pool = BLANKABLE["old" if template == "2008" else "new"]
    live = [t for t, parts in pool if _n(v, t) and any(_n(v, p) for p in parts)]
    if not live:
        return None
    k = rng.choice(live)
    was = v[k]
    v[k] = None
    return [{"rule": RULE_IDS["blank"], "keys": [k]}], f"{k} left blank although its parts are printed (it was {was})"


def prose_change(rng: random.Random, prose_values: dict[str, Number], table_keys: set[str]) -> tuple[str, Number]:
    """A prose key (one that restates a printed table cell) and a different number to print for it."""
    k = rng.choice(sorted(k for k in prose_values if k in table_keys))
    v = prose_values[k]
    if isinstance(v, float):
        new: Number = round(v + rng.choice((-1, 1)) * rng.uniform(0.5, max(1.0, v / 5)), 2)
        if new < 0 or new == v:
            new = round(v + 1.5, 2)
    else:
        new = v + _shift(rng, v)
    return k, new
