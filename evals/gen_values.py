"""Random but plausible table figures for one synthetic report, satisfying every identity.

Only the numbers live here (keys from ``schemas.catalog``); which cells print blank is decided here
too, because blanks are part of what the report prints. Rendering choices live in ``gen_style``.
"""

from __future__ import annotations

import math
import random

from schemas import catalog

Number = int | float
Values = dict[str, Number | None]


# --------------------------------------------------------------------------- small helpers
def count(rng: random.Random, scale: str = "mid") -> int:
    """A count with the long tail real reports show: zeros common, a few very large."""
    r = rng.random()
    if scale == "rare":  # 复议, 诉讼, reasons: mostly 0, sometimes a handful
        if r < 0.55:
            return 0
        if r < 0.92:
            return rng.randint(1, 6)
        return rng.randint(7, 60)
    if scale == "big":  # 行政许可, 处罚, web pages
        if r < 0.12:
            return 0
        if r < 0.4:
            return rng.randint(1, 300)
        if r < 0.85:
            return rng.randint(300, 9000)
        return rng.randint(9000, 120000)
    if r < 0.15:
        return 0
    if r < 0.6:
        return rng.randint(1, 30)
    if r < 0.92:
        return rng.randint(30, 400)
    return rng.randint(400, 6000)


def money(rng: random.Random, p_zero: float = 0.5, hi: float = 20000.0) -> float:
    """An amount in 万元 with two decimals, log-uniform, often zero."""
    if rng.random() < p_zero:
        return 0.0
    return round(math.exp(rng.uniform(math.log(0.05), math.log(hi))), 2)


def split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into len(weights) non-negative parts roughly proportional to the weights."""
    n = len(weights)
    if total <= 0 or n == 0:
        return [0] * n
    w = list(weights)
    if sum(w) <= 0:
        w[rng.randrange(n)] = 1.0
    s = sum(w)
    parts = [int(total * x / s) for x in w]
    rest = total - sum(parts)
    live = [i for i, x in enumerate(w) if x > 0]
    for _ in range(rest):
        parts[rng.choices(live, weights=[w[i] for i in live])[0]] += 1
    return parts


def sparse_weights(rng: random.Random, base: list[float], zero_p: float) -> list[float]:
    """Jittered weights where each entry is switched off with probability ``zero_p`` (not the first)."""
    out = []
    for i, b in enumerate(base):
        if i > 0 and rng.random() < zero_p:
            out.append(0.0)
        else:
            out.append(b * rng.uniform(0.3, 1.7))
    return out


# --------------------------------------------------------------------------- table 二
def _t2_2021(rng: random.Random, v: Values) -> None:
    for row, (prior_hi, new_hi) in {"规章": (20, 4), "行政规范性文件": (300, 40)}.items():
        if row == "规章" and rng.random() < 0.7:
            prior = issued = repealed = 0
        else:
            prior = rng.randint(0, prior_hi)
            issued = rng.randint(0, new_hi)
            repealed = rng.randint(0, min(prior, max(1, new_hi // 2))) if rng.random() < 0.5 else 0
        v[f"t2.{row}.本年制发"] = issued
        v[f"t2.{row}.本年废止"] = repealed
        v[f"t2.{row}.现行有效"] = prior + issued - repealed
    for row in ("行政许可", "行政处罚", "行政强制"):
        v[f"t2.{row}.处理决定数量"] = count(rng, "big") if row != "行政强制" else count(rng, "mid")
    v["t2.行政事业性收费.收费金额"] = money(rng, 0.45, 30000.0)


def _t2_2019(rng: random.Random, v: Values) -> None:
    for row, hi in {"规章": 4, "行政规范性文件": 40}.items():
        if row == "规章" and rng.random() < 0.7:
            made = published = stock = 0
        else:
            made = rng.randint(0, hi)
            published = made if rng.random() < 0.8 else rng.randint(0, made)
            stock = published + rng.randint(0, hi * 8)
        v[f"t2.{row}.本年新制作"] = made
        v[f"t2.{row}.本年新公开"] = published
        v[f"t2.{row}.对外公开总数"] = stock
    for row in ("行政许可", "其他对外管理服务事项", "行政处罚", "行政强制", "行政事业性收费"):
        prior = rng.randint(0, 400) if rng.random() < 0.8 else 0
        delta = rng.randint(-min(prior, 15), 20) if rng.random() < 0.6 else 0
        v[f"t2.{row}.上年项目数"] = prior
        v[f"t2.{row}.本年增减"] = delta
        if row != "行政事业性收费":
            v[f"t2.{row}.处理决定数量"] = count(rng, "big")
    items = count(rng, "mid") if rng.random() < 0.7 else 0
    v["t2.政府集中采购.采购项目数量"] = items
    v["t2.政府集中采购.采购总金额"] = money(rng, 0.0, 50000.0) if items else 0.0


# --------------------------------------------------------------------------- table 三
# relative frequency of each result item (leaf rows of 三、本年度办理结果)
_RESULT_WEIGHTS: dict[str, float] = {
    "予以公开": 0.35, "部分公开": 0.10,
    "不予公开.1": 0.004, "不予公开.2": 0.006, "不予公开.3": 0.006, "不予公开.4": 0.015,
    "不予公开.5": 0.01, "不予公开.6": 0.01, "不予公开.7": 0.006, "不予公开.8": 0.008,
    "无法提供.1": 0.2, "无法提供.2": 0.03, "无法提供.3": 0.03,
    "不予处理.1": 0.04, "不予处理.2": 0.03, "不予处理.3": 0.01, "不予处理.4": 0.008, "不予处理.5": 0.01,
    "其他处理": 0.08, "其他处理.1": 0.05, "其他处理.2": 0.008, "其他处理.3": 0.03,
}


def t3_result_rows(template: str, other_split: bool) -> list[str]:
    """Leaf rows of 本年度办理结果 as this report prints them, in form order."""
    out = []
    for group in ("予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"):
        items = catalog.t3_item_rows(template, group)
        if group == "其他处理" and not other_split:
            items = ()
        out.extend(items or (group,))
    return out


def t3_applicant_columns() -> list[str]:
    return [c.id for c in catalog.columns("t3") if c.id != "总计"]


def _t3(rng: random.Random, v: Values, template: str, other_split: bool, subtotals: bool,
        min_total: int = 0) -> None:
    cols = t3_applicant_columns()
    total = count(rng, "mid")
    if total < min_total:
        total = rng.randint(min_total, min_total * 10)
    col_w = sparse_weights(rng, [1.0] + [rng.uniform(0.02, 0.3) for _ in cols[1:]], 0.6)
    new = split(rng, total, col_w)
    carry_in = [rng.randint(0, n // 6) if n and rng.random() < 0.5 else 0 for n in new]
    carry_out = [rng.randint(0, (a + b) // 5) if a + b and rng.random() < 0.45 else 0 for a, b in zip(new, carry_in)]
    leaves = t3_result_rows(template, other_split)
    base = sparse_weights(rng, [_RESULT_WEIGHTS[r] for r in leaves], 0.45)
    grid: dict[str, list[int]] = {r: [0] * len(cols) for r in leaves}
    for j in range(len(cols)):
        done = new[j] + carry_in[j] - carry_out[j]
        parts = split(rng, done, [w * rng.uniform(0.5, 1.5) for w in base])
        for r, p in zip(leaves, parts):
            grid[r][j] = p
    rows: dict[str, list[int]] = {"本年新收": new, "上年结转": carry_in}
    rows.update(grid)
    if subtotals:
        for group in ("不予公开", "无法提供", "不予处理") + (("其他处理",) if other_split else ()):
            items = [r for r in leaves if r.startswith(group + ".")]
            rows[group] = [sum(grid[r][j] for r in items) for j in range(len(cols))]
    rows["办理结果总计"] = [sum(grid[r][j] for r in leaves) for j in range(len(cols))]
    rows["结转下年度"] = carry_out
    for r, vals in rows.items():
        for c, x in zip(cols, vals):
            v[f"t3.{r}.{c}"] = x
        v[f"t3.{r}.总计"] = sum(vals)


def _t4(rng: random.Random, v: Values) -> None:
    for group, scale in (("复议", "rare"), ("诉讼未经复议", "rare"), ("诉讼复议后", "rare")):
        n = count(rng, scale)
        if group == "诉讼复议后":
            n //= 2
        parts = split(rng, n, sparse_weights(rng, [1.0, 0.2, 0.3, 0.3], 0.5))
        for c, x in zip(("维持", "纠正", "其他", "尚未审结"), parts):
            v[f"t4.{group}.{c}"] = x
        v[f"t4.{group}.总计"] = n


# --------------------------------------------------------------------------- the old 统计表
def _old(rng: random.Random, v: Values, optional_rows: set[str], min_applications: int = 0) -> None:
    site = count(rng, "big") or rng.randint(20, 400)
    chans = {"政府公报": rng.randint(0, site // 10) if rng.random() < 0.35 else 0, "政府网站": site,
             "政务微博": count(rng, "mid") if rng.random() < 0.6 else 0,
             "政务微信": count(rng, "mid") if rng.random() < 0.5 else 0,
             "其他": count(rng, "mid") if rng.random() < 0.5 else 0}
    for c, x in chans.items():
        v[f"old.渠道.{c}"] = x
    lo, hi = max(chans.values()), sum(chans.values())
    v["old.主动公开数"] = hi if rng.random() < 0.4 else rng.randint(lo, hi)
    issued = rng.randint(0, 30)
    v["old.制发规范性文件总数"] = issued
    v["old.主动公开规范性文件数"] = min(issued if rng.random() < 0.7 else rng.randint(0, issued), v["old.主动公开数"])
    if "建议提案办理结果公开数" in optional_rows:
        v["old.建议提案办理结果公开数"] = count(rng, "mid") // 3
    ways = {"新闻发布会": rng.randint(0, 12), "在线访谈": rng.randint(0, 6), "政策解读稿件": count(rng, "mid") // 2,
            "微博微信回应": count(rng, "mid") // 3 if rng.random() < 0.5 else 0,
            "其他方式回应": count(rng, "mid") if rng.random() < 0.5 else 0}
    for w, x in ways.items():
        v[f"old.{w}"] = x
    v["old.回应解读总数"] = sum(ways.values())
    v["old.回应热点舆情数"] = rng.randint(0, sum(ways.values())) if rng.random() < 0.7 else 0
    for w in ("新闻发布会", "在线访谈"):
        if f"{w}.主要负责同志" in optional_rows:
            v[f"old.{w}.主要负责同志"] = rng.randint(0, ways[w])
    received = count(rng, "mid")
    if received < min_applications:
        received = rng.randint(min_applications, min_applications * 10)
    parts = split(rng, received, sparse_weights(rng, [1.0, 0.1, 0.6, 0.3], 0.4))
    for c, x in zip(("当面", "传真", "网络", "信函"), parts):
        v[f"old.申请.{c}"] = x
    v["old.收到申请数"] = received
    closed = received - (rng.randint(0, received // 10) if rng.random() < 0.3 else 0)
    late = rng.randint(0, closed // 8) if closed and rng.random() < 0.4 else 0
    v["old.办结数"], v["old.办结.按时"], v["old.办结.延期"] = closed, closed - late, late
    kinds = ("已主动公开", "同意公开", "部分公开", "不同意公开", "非本机关", "信息不存在", "更改补充", "其他途径")
    replies = split(rng, closed, sparse_weights(rng, [0.5, 0.2, 0.08, 0.05, 0.05, 0.1, 0.03, 0.04], 0.35))
    for k, x in zip(kinds, replies):
        v[f"old.答复.{k}"] = x
    v["old.答复数"] = closed
    reasons = ("国家秘密", "商业秘密", "个人隐私", "三安全一稳定", "非政府信息", "其他情形")
    for k, x in zip(reasons, split(rng, v["old.答复.不同意公开"], sparse_weights(rng, [0.3] * 6, 0.5))):
        v[f"old.不同意.{k}"] = x
    for group in ("复议", "诉讼"):
        n = count(rng, "rare")
        for k, x in zip(("维持", "纠错", "其他"), split(rng, n, sparse_weights(rng, [1.0, 0.2, 0.3], 0.5))):
            v[f"old.{group}.{k}"] = x
        v[f"old.{group}"] = n
    v["old.举报投诉"] = count(rng, "rare")
    v["old.收费"] = money(rng, 0.85, 2.0)
    v["old.专门机构数"] = rng.randint(0, 3)
    v["old.查阅点数"] = rng.randint(0, 30)
    full, part = rng.randint(0, 6), rng.randint(0, 30)
    v["old.工作人员.专职"], v["old.工作人员.兼职"], v["old.工作人员"] = full, part, full + part
    v["old.专项经费"] = money(rng, 0.6, 80.0)
    v["old.会议数"] = rng.randint(0, 15)
    classes = rng.randint(0, 10)
    v["old.培训班数"] = classes
    v["old.培训人次"] = classes * rng.randint(5, 120) if classes else 0


def generate_numbers(rng: random.Random, template: str, *, other_split: bool, t3_subtotals: bool,
                     old_optional: set[str], min_applications: int = 0) -> dict[str, Number]:
    """Every printed cell of one report as a number (no blanks yet), in catalog order."""
    v: Values = {}
    if template == "2008":
        _old(rng, v, old_optional, min_applications)
    else:
        (_t2_2021 if template == "2021" else _t2_2019)(rng, v)
        _t3(rng, v, template, other_split, t3_subtotals, min_applications)
        _t4(rng, v)
    order = {f.key: i for i, f in enumerate(catalog.FIELDS)}
    unknown = [k for k in v if k not in order]
    if unknown:  # a catalog change the generator does not know yet
        raise KeyError(f"generator produced keys not in the catalog: {unknown}")
    return {k: v[k] for k in sorted(v, key=order.__getitem__)}  # type: ignore[misc]


def prose_only_numbers(values: Values) -> dict[str, Number]:
    """Group figures a narrative states (catalog prose-only keys), from the printed table values."""
    out: dict[str, Number] = {}
    g = values.get
    if g("t3.予以公开.总计") is not None and g("t3.部分公开.总计") is not None:
        out["t3.予以公开+部分公开.总计"] = g("t3.予以公开.总计") + g("t3.部分公开.总计")  # type: ignore[operator]
    if g("t4.诉讼未经复议.总计") is not None and g("t4.诉讼复议后.总计") is not None:
        out["t4.诉讼.总计"] = g("t4.诉讼未经复议.总计") + g("t4.诉讼复议后.总计")  # type: ignore[operator]
        if g("t4.复议.总计") is not None:
            out["t4.复议+诉讼.总计"] = out["t4.诉讼.总计"] + g("t4.复议.总计")  # type: ignore[operator]
    return out
