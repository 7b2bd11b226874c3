"""The standard wording every report of a template repeats: the official form's headings and table
labels, and the formulas the 国办 notices and common practice put around them.

Two agencies filling in the same form write these sentences alike without copying one another, so
the narrative sketch (``extractor/sketch.py``) leaves their character 4-grams out: what remains is
what the agency wrote itself, and only that can show a copy. The table labels come from the catalog
(``schemas/catalog.py``); the headings and formulas are here. ``…`` marks where a report puts its own
words (its name, the year, a telephone number): no 4-gram spans it.

Sources: research/templates.md §A.2 (the 2019/2021 headings and the five sub-heads of 一、总体情况),
and the headings and opening formulas as the reports in ../shared (the seed, 平潭 2011–2021,
洪泽区 2023/2024) word them.
"""

from __future__ import annotations

from functools import cache

from schemas import catalog

HEADINGS: dict[str, tuple[str, ...]] = {
    "2008": (
        "一、概述", "二、主动公开政府信息情况", "三、依申请公开政府信息情况", "四、政府信息公开的收费及减免情况",
        "五、因政府信息公开申请行政复议、提起行政诉讼的情况", "六、存在的主要问题及改进措施", "七、其他需要报告的事项",
        "六、机构建设、保障经费和培训会议情况", "七、存在的主要问题及改进措施", "八、其他需要报告的事项",
        "政府信息公开工作年度报告", "政府信息公开情况统计表",
    ),
    "2019": (
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
        "五、政府信息公开工作存在的主要问题及改进情况", "五、存在问题及改进情况", "六、其他需要报告的事项",
        "（一）主动公开", "（二）依申请公开", "（三）政府信息管理", "（四）政府信息公开平台建设", "（五）监督保障",
        "政府信息公开工作年度报告",
    ),
}
HEADINGS["2021"] = HEADINGS["2019"]

# the opening and closing formulas (``…``: the report's own words)
FORMULAS: dict[str, tuple[str, ...]] = {
    "2008": (
        "本报告根据《中华人民共和国政府信息公开条例》…要求编制",
        "本报告是根据《中华人民共和国政府信息公开条例》…要求…编制",
        ("全文由概述、主动公开政府信息情况、依申请公开政府信息情况、政府信息公开收费及减免情况、"
         "因政府信息公开申请行政复议和提起行政诉讼情况、存在的主要问题及改进措施、其他需要报告的事项以及附表组成"),
        "本报告中所列数据统计期限自…年…月…日起至…年…月…日止",
        "本报告的电子版可以从…门户网站下载", "本报告的电子版可在…政府门户网站…下载",
        "如对本报告有任何疑问，请与…联系", "咨询电话", "联系电话",
        "本报告所列数据的统计期限自…年…月…日起至…年…月…日", "本报告的电子版可在…下载", "本报告由…组成",
        "二、主要工作情况", "三、主要问题及下一步工作打算", "四、其他需要报告事项", "附加数据表格",
    ),
    "2019": (
        "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和…有关要求编制",
        "本报告根据《中华人民共和国政府信息公开条例》…编制",
        ("由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
         "存在的主要问题及改进情况、其他需要报告的事项六部分组成"),
        "本报告中所列数据统计期限自…年…月…日起至…年…月…日止",
        "本报告电子版可在…门户网站查阅或下载", "本报告电子版可在…网站查阅或下载",
        "如对本报告有疑问，请与本机关联系", "如对本报告有疑问，请与…联系", "联系电话",
        "国办公开办函…号", "政府信息公开信息处理费管理办法", "本年度未收取信息处理费",
        "本报告所列数据的统计期限自…年…月…日起至…年…月…日止", "本报告的电子版可在…下载",
        ("本报告包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
         "因政府信息公开申请行政复议、提起行政诉讼的情况、政府信息公开工作存在的主要问题及改进情况和其他需要报告的事项"
         "等六个部分"),
    ),
}
FORMULAS["2021"] = FORMULAS["2019"]


@cache
def standard_texts(template: str | None = None) -> tuple[str, ...]:
    """The standard wording of one template (every template's when ``template`` is None)."""
    templates = catalog.TEMPLATES if template is None else (template,)
    texts: list[str] = []
    for t in templates:
        texts += HEADINGS[t] + FORMULAS[t]
        tables = ("old",) if t == "2008" else ("t2", "t3", "t4")
        for table in tables:
            texts.append(catalog.TABLE_TITLES[table])
            for row in catalog.rows(table, t):
                texts += (row.label, *row.aliases)
            for column in catalog.columns(table, t):
                texts += (column.label, *column.aliases)
    return tuple(dict.fromkeys(texts))
