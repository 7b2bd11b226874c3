"""The field catalog: one entry per printed table cell of every template.

This is the single source of truth for keys (exactly those of GOLD-KEYS.md), official labels,
aliases seen in real reports, units and tables. The table reader matches labels against it, the
rules name its keys, the LLM response models take their descriptions from it, the UI draws the
official form from it and the exports use its keys and labels as column names.

Key scheme: ``<table>.<row>[.<column>]``; table ∈ t2, t3, t4 (national 2019/2021 formats) or
``old`` (the 2008–2018 统计表, one value column; a second 历年累计 column adds ``.历年累计``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

Template = Literal["2008", "2019", "2021"]
TEMPLATES: tuple[Template, ...] = ("2008", "2019", "2021")
NEW: frozenset[str] = frozenset({"2019", "2021"})
ONLY_2019: frozenset[str] = frozenset({"2019"})
ONLY_2021: frozenset[str] = frozenset({"2021"})
OLD: frozenset[str] = frozenset({"2008"})

TABLE_TITLES: dict[str, str] = {
    "t2": "二、主动公开政府信息情况",
    "t3": "三、收到和处理政府信息公开申请情况",
    "t4": "四、政府信息公开行政复议、行政诉讼情况",
    "old": "政府信息公开情况统计表",
}


@dataclass(frozen=True, slots=True)
class RowSpec:
    """A printed row (or the header of a row group) of a table."""

    table: str
    id: str  # key part, e.g. "本年新收", "不予公开.1", "渠道.政府网站"
    label: str  # official label as printed in the template
    aliases: tuple[str, ...] = ()
    unit: str = "件"
    templates: frozenset[str] = NEW
    group: str | None = None  # the group row this item belongs to (t3 items, old 其中 rows)
    section: str = ""  # old template: the numbered part (一 … 九) the row sits in
    header_only: bool = False  # a label row that carries no value of its own
    subtotal: bool = False  # a group row whose value, when printed, is the sum of its items
    optional: bool = False  # not every copy of the template prints it
    decimal: bool = False
    signed: bool = False


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    table: str
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    templates: frozenset[str] = NEW
    unit: str | None = None  # overrides the row's unit (t2 fee column)
    decimal: bool = False
    signed: bool = False


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One printed cell: the unit of extraction, validation, review and export."""

    key: str
    table: str
    row: RowSpec
    column: ColumnSpec | None
    templates: frozenset[str]
    unit: str
    decimal: bool = False
    signed: bool = False
    optional: bool = False
    prose_only: bool = False  # a group figure only the narrative states

    @property
    def label(self) -> str:
        """Row label, then column label: how a person names the cell."""
        if self.column is None:
            return self.row.label
        return f"{self.row.label} / {self.column.label}"

    @property
    def short_label(self) -> str:
        base = _strip_enum(self.row.label)
        return base if self.column is None else f"{base}·{self.column.label}"


def _strip_enum(label: str) -> str:
    import re

    return re.sub(r"^(其中[:：])?([（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、|\d+[.．、])", "", label)


# --------------------------------------------------------------------------- table 二 (2019 / 2021)
_T2_ROWS: tuple[RowSpec, ...] = (
    RowSpec("t2", "规章", "规章", ("规章(设区的市、自治州人民政府应提供相关数据)",), templates=NEW),
    RowSpec("t2", "行政规范性文件", "行政规范性文件", ("规范性文件",), templates=NEW),
    RowSpec("t2", "行政许可", "行政许可", templates=NEW),
    RowSpec("t2", "其他对外管理服务事项", "其他对外管理服务事项", templates=ONLY_2019),
    RowSpec("t2", "行政处罚", "行政处罚", templates=NEW),
    RowSpec("t2", "行政强制", "行政强制", templates=NEW),
    RowSpec("t2", "行政事业性收费", "行政事业性收费", templates=NEW),
    RowSpec("t2", "政府集中采购", "政府集中采购", templates=ONLY_2019),
)

_T2_COLS: tuple[ColumnSpec, ...] = (
    # 2021: 第二十条第（一）项
    ColumnSpec("t2", "本年制发", "本年制发件数", ("本年制发", "制发件数"), ONLY_2021),
    ColumnSpec("t2", "本年废止", "本年废止件数", ("本年废止", "废止件数"), ONLY_2021),
    ColumnSpec("t2", "现行有效", "现行有效件数", ("现行有效", "有效件数"), ONLY_2021),
    # 2019: 第二十条第（一）项
    ColumnSpec("t2", "本年新制作", "本年新制作数量", ("本年新制作", "新制作数量"), ONLY_2019),
    ColumnSpec("t2", "本年新公开", "本年新公开数量", ("本年新公开", "新公开数量"), ONLY_2019),
    ColumnSpec("t2", "对外公开总数", "对外公开总数量", ("对外公开总数",), ONLY_2019),
    # 2019: 第（五）（六）（八）项
    ColumnSpec("t2", "上年项目数", "上一年项目数量", ("上年项目数量", "上一年项目数"), ONLY_2019),
    ColumnSpec("t2", "本年增减", "本年增/减", ("本年增减", "本年增/减数量"), ONLY_2019, signed=True),
    ColumnSpec("t2", "处理决定数量", "本年处理决定数量", ("处理决定数量", "处理决定数"), NEW),
    ColumnSpec("t2", "收费金额", "本年收费金额（单位：万元）", ("本年收费金额", "收费金额"), ONLY_2021,
               unit="万元", decimal=True),
    # 2019: 第（九）项
    ColumnSpec("t2", "采购项目数量", "采购项目数量", (), ONLY_2019),
    ColumnSpec("t2", "采购总金额", "采购总金额", (), ONLY_2019, unit="万元", decimal=True),
)

# which columns each table-二 row prints, per template
_T2_LAYOUT: dict[str, dict[str, tuple[str, ...]]] = {
    "2021": {
        "规章": ("本年制发", "本年废止", "现行有效"),
        "行政规范性文件": ("本年制发", "本年废止", "现行有效"),
        "行政许可": ("处理决定数量",),
        "行政处罚": ("处理决定数量",),
        "行政强制": ("处理决定数量",),
        "行政事业性收费": ("收费金额",),
    },
    "2019": {
        "规章": ("本年新制作", "本年新公开", "对外公开总数"),
        "行政规范性文件": ("本年新制作", "本年新公开", "对外公开总数"),
        "行政许可": ("上年项目数", "本年增减", "处理决定数量"),
        "其他对外管理服务事项": ("上年项目数", "本年增减", "处理决定数量"),
        "行政处罚": ("上年项目数", "本年增减", "处理决定数量"),
        "行政强制": ("上年项目数", "本年增减", "处理决定数量"),
        "行政事业性收费": ("上年项目数", "本年增减"),
        "政府集中采购": ("采购项目数量", "采购总金额"),
    },
}

# --------------------------------------------------------------------------- table 三 (2019 / 2021)
_T3_ROWS: tuple[RowSpec, ...] = (
    RowSpec("t3", "本年新收", "一、本年新收政府信息公开申请数量", ("本年新收政府信息公开申请数量", "本年新收")),
    RowSpec("t3", "上年结转", "二、上年结转政府信息公开申请数量", ("上年结转政府信息公开申请数量", "上年结转")),
    RowSpec("t3", "本年度办理结果", "三、本年度办理结果", ("本年度办理结果",), header_only=True),
    RowSpec("t3", "予以公开", "（一）予以公开", group="本年度办理结果"),
    RowSpec("t3", "部分公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("部分公开",),
            group="本年度办理结果"),
    RowSpec("t3", "不予公开", "（三）不予公开", group="本年度办理结果", subtotal=True, optional=True),
    RowSpec("t3", "不予公开.1", "1.属于国家秘密", group="不予公开"),
    RowSpec("t3", "不予公开.2", "2.其他法律行政法规禁止公开", ("其他法律行政止公开", "其他法律行政法规禁止公开的"),
            group="不予公开"),
    RowSpec("t3", "不予公开.3", "3.危及“三安全一稳定”", ("危及三安全一稳定",), group="不予公开"),
    RowSpec("t3", "不予公开.4", "4.保护第三方合法权益", group="不予公开"),
    RowSpec("t3", "不予公开.5", "5.属于三类内部事务信息", group="不予公开"),
    RowSpec("t3", "不予公开.6", "6.属于四类过程性信息", group="不予公开"),
    RowSpec("t3", "不予公开.7", "7.属于行政执法案卷", group="不予公开"),
    RowSpec("t3", "不予公开.8", "8.属于行政查询事项", group="不予公开"),
    RowSpec("t3", "无法提供", "（四）无法提供", group="本年度办理结果", subtotal=True, optional=True),
    RowSpec("t3", "无法提供.1", "1.本机关不掌握相关政府信息", group="无法提供"),
    RowSpec("t3", "无法提供.2", "2.没有现成信息需要另行制作", group="无法提供"),
    RowSpec("t3", "无法提供.3", "3.补正后申请内容仍不明确", group="无法提供"),
    RowSpec("t3", "不予处理", "（五）不予处理", group="本年度办理结果", subtotal=True, optional=True),
    RowSpec("t3", "不予处理.1", "1.信访举报投诉类申请", group="不予处理"),
    RowSpec("t3", "不予处理.2", "2.重复申请", group="不予处理"),
    RowSpec("t3", "不予处理.3", "3.要求提供公开出版物", group="不予处理"),
    RowSpec("t3", "不予处理.4", "4.无正当理由大量反复申请", group="不予处理"),
    RowSpec("t3", "不予处理.5", "5.要求行政机关确认或重新出具已获取信息", group="不予处理"),
    RowSpec("t3", "其他处理", "（六）其他处理", group="本年度办理结果", subtotal=True),
    RowSpec("t3", "其他处理.1", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            ("申请人无正当理由逾期不补正,行政机关不再处理其政府信息公开申请", "逾期不补正"),
            templates=ONLY_2021, group="其他处理", optional=True),
    RowSpec("t3", "其他处理.2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            ("申请人逾期未按收费通知要求缴纳费用,行政机关不再处理其政府信息公开申请", "逾期未按收费通知要求缴纳费用"),
            templates=ONLY_2021, group="其他处理", optional=True),
    RowSpec("t3", "其他处理.3", "3.其他", templates=ONLY_2021, group="其他处理", optional=True),
    RowSpec("t3", "办理结果总计", "（七）总计", ("总计",), group="本年度办理结果"),
    RowSpec("t3", "结转下年度", "四、结转下年度继续办理", ("结转下年度继续办理", "结转下年度")),
)

_T3_COLS: tuple[ColumnSpec, ...] = (
    ColumnSpec("t3", "自然人", "自然人"),
    ColumnSpec("t3", "商业企业", "商业企业"),
    ColumnSpec("t3", "科研机构", "科研机构"),
    ColumnSpec("t3", "社会公益组织", "社会公益组织"),
    ColumnSpec("t3", "法律服务机构", "法律服务机构"),
    ColumnSpec("t3", "其他", "其他"),
    ColumnSpec("t3", "总计", "总计"),
)

# --------------------------------------------------------------------------- table 四 (2019 / 2021)
_T4_ROWS: tuple[RowSpec, ...] = (
    RowSpec("t4", "复议", "行政复议"),
    RowSpec("t4", "诉讼未经复议", "行政诉讼·未经复议直接起诉", ("未经复议直接起诉",)),
    RowSpec("t4", "诉讼复议后", "行政诉讼·复议后起诉", ("复议后起诉",)),
)
_T4_COLS: tuple[ColumnSpec, ...] = (
    ColumnSpec("t4", "维持", "结果维持"),
    ColumnSpec("t4", "纠正", "结果纠正"),
    ColumnSpec("t4", "其他", "其他结果"),
    ColumnSpec("t4", "尚未审结", "尚未审结"),
    ColumnSpec("t4", "总计", "总计"),
)

# --------------------------------------------------------------------------- the old 统计表 (2008–2018)
_S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8, _S9 = ("一", "二", "三", "四", "五", "六", "七", "八", "九")


def _o(
    id: str,
    label: str,
    unit: str,
    section: str,
    aliases: tuple[str, ...] = (),
    *,
    group: str | None = None,
    header_only: bool = False,
    optional: bool = False,
    decimal: bool = False,
) -> RowSpec:
    return RowSpec("old", id, label, aliases, unit, OLD, group, section, header_only, False, optional, decimal)


_OLD_ROWS: tuple[RowSpec, ...] = (
    _o("主动公开情况", "一、主动公开情况", "", _S1, header_only=True),
    _o("主动公开数", "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条", _S1,
       ("主动公开政府信息数", "主动公开信息数", "主动公开政府信息总数", "主动公开文件数")),
    _o("主动公开规范性文件数", "其中：主动公开规范性文件数", "条", _S1, ("主动公开规范性文件数",), group="主动公开数"),
    _o("制发规范性文件总数", "制发规范性文件总数", "件", _S1),
    _o("建议提案办理结果公开数", "人大代表建议和政协提案办理结果公开数", "件", _S1, ("建议提案办理结果公开数",),
       optional=True),
    _o("渠道", "（二）通过不同渠道和方式公开政府信息的情况", "", _S1, header_only=True),
    _o("渠道.政府公报", "1.政府公报公开政府信息数", "条", _S1, ("政府公报", "政府公报公开信息数", "政府公报公开",
                                                          "政府公报公开数"), group="渠道"),
    _o("渠道.政府网站", "2.政府网站公开政府信息数", "条", _S1, ("政府网站", "网站公开", "政府网站公开信息数", "政府网站公开数"),
       group="渠道"),
    _o("渠道.政务微博", "3.政务微博公开政府信息数", "条", _S1, ("政务微博",), group="渠道"),
    _o("渠道.政务微信", "4.政务微信公开政府信息数", "条", _S1, ("政务微信",), group="渠道"),
    _o("渠道.其他", "5.其他方式公开政府信息数", "条", _S1, ("其他方式", "其他方式公开信息数"), group="渠道"),
    _o("回应解读情况", "二、回应解读情况", "", _S2, header_only=True),
    _o("回应热点舆情数", "（一）回应公众关注热点或重大舆情数（不同方式回应同一热点或舆情计1次）", "次", _S2,
       ("回应公众关注热点或重大舆情数",)),
    _o("回应解读总数", "（二）通过不同渠道和方式回应解读的情况", "次", _S2, ("通过不同渠道和方式回应解读情况",)),
    _o("新闻发布会", "1.参加或举办新闻发布会总次数", "次", _S2, ("参加或举办新闻发布会次数",), group="回应解读总数"),
    _o("新闻发布会.主要负责同志", "其中：主要负责同志参加新闻发布会次数", "次", _S2, group="新闻发布会",
       optional=True),
    _o("在线访谈", "2.政府网站在线访谈次数", "次", _S2, group="回应解读总数"),
    _o("在线访谈.主要负责同志", "其中：主要负责同志参加政府网站在线访谈次数", "次", _S2, group="在线访谈",
       optional=True),
    _o("政策解读稿件", "3.政策解读稿件发布数", "篇", _S2, group="回应解读总数"),
    _o("微博微信回应", "4.微博微信回应事件数", "次", _S2, group="回应解读总数"),
    _o("其他方式回应", "5.其他方式回应事件数", "次", _S2, group="回应解读总数"),
    _o("依申请公开情况", "三、依申请公开情况", "", _S3, header_only=True),
    _o("收到申请数", "（一）收到申请数", "件", _S3, ("受理依申请公开信息总数", "收到申请总数", "受理申请数")),
    _o("申请.当面", "1.当面申请数", "件", _S3, group="收到申请数"),
    _o("申请.传真", "2.传真申请数", "件", _S3, group="收到申请数"),
    _o("申请.网络", "3.网络申请数", "件", _S3, ("网上申请数", "网上申请"), group="收到申请数"),
    _o("申请.信函", "4.信函申请数", "件", _S3, group="收到申请数"),
    _o("申请.电子邮件", "电子邮件申请数", "件", _S3, group="收到申请数", optional=True),
    _o("申请.其他形式", "其他形式申请数", "件", _S3, ("其它形式申请数",), group="收到申请数", optional=True),
    _o("申请.信函传真", "信函传真申请数", "件", _S3, group="收到申请数", optional=True),
    _o("办结数", "（二）申请办结数", "件", _S3),
    _o("办结.按时", "1.按时办结数", "件", _S3, group="办结数"),
    _o("办结.延期", "2.延期办结数", "件", _S3, group="办结数"),
    _o("答复数", "（三）申请答复数", "件", _S3, ("本年度对申请的答复总数", "对申请的答复数", "对申请的答复总数")),
    _o("答复.已主动公开", "1.属于已主动公开范围数", "件", _S3, group="答复数"),
    _o("答复.同意公开", "2.同意公开答复数", "件", _S3, group="答复数"),
    _o("答复.部分公开", "3.同意部分公开答复数", "件", _S3, group="答复数"),
    _o("答复.不同意公开", "4.不同意公开答复数", "件", _S3, ("否决公开答复数", "不予公开答复数", "否决公开答复总数"),
       group="答复数"),
    _o("不同意.国家秘密", "其中：涉及国家秘密", "件", _S3, group="答复.不同意公开"),
    _o("不同意.商业秘密", "涉及商业秘密", "件", _S3, group="答复.不同意公开"),
    _o("不同意.个人隐私", "涉及个人隐私", "件", _S3, group="答复.不同意公开"),
    _o("不同意.三安全一稳定", "危及国家安全、公共安全、经济安全和社会稳定", "件", _S3, group="答复.不同意公开"),
    _o("不同意.非政府信息", "不是《条例》所指政府信息", "件", _S3, group="答复.不同意公开"),
    _o("不同意.其他情形", "法律法规规定的其他情形", "件", _S3, group="答复.不同意公开"),
    _o("答复.非本机关", "5.不属于本行政机关公开数", "件", _S3, group="答复数"),
    _o("答复.信息不存在", "6.申请信息不存在数", "件", _S3, group="答复数"),
    _o("答复.更改补充", "7.告知作出更改补充数", "件", _S3, group="答复数"),
    _o("答复.其他途径", "8.告知通过其他途径办理数", "件", _S3, group="答复数"),
    _o("答复.其他类型", "其他类型答复数", "件", _S3, ("其他类型",), group="答复数", optional=True),
    _o("复议", "四、行政复议数量", "件", _S4, ("行政复议数", "行政复议数量")),
    _o("复议.维持", "（一）维持具体行政行为数", "件", _S4, group="复议"),
    _o("复议.纠错", "（二）被依法纠错数", "件", _S4, group="复议"),
    _o("复议.其他", "（三）其他情形数", "件", _S4, group="复议"),
    _o("诉讼", "五、行政诉讼数量", "件", _S5, ("行政诉讼数", "行政诉讼数量")),
    _o("诉讼.维持", "（一）维持具体行政行为或者驳回原告诉讼请求数", "件", _S5,
       ("维持具体行政行为数",), group="诉讼"),
    _o("诉讼.纠错", "（二）被依法纠错数", "件", _S5, group="诉讼"),
    _o("诉讼.其他", "（三）其他情形数", "件", _S5, group="诉讼"),
    _o("举报投诉", "六、举报投诉数量", "件", _S6, ("举报投诉数量", "举报投诉数")),
    _o("诉讼举报", "接受行政诉讼、举报数", "件", _S6, optional=True),
    _o("申诉", "行政申诉数", "件", _S6, optional=True),
    _o("申诉举报", "行政申诉、举报数", "件", _S6, optional=True),
    _o("收费", "七、依申请公开信息收取的费用", "万元", _S7, ("依申请公开信息收取的费用",), decimal=True),
    _o("收费减免金额", "收费减免金额", "元", _S7, ("政府信息公开收费减免金额",), optional=True, decimal=True),
    _o("机构建设", "八、机构建设和保障经费情况", "", _S8, header_only=True),
    _o("专门机构数", "（一）政府信息公开工作专门机构数", "个", _S8),
    _o("查阅点数", "（二）设置政府信息公开查阅点数", "个", _S8),
    _o("工作人员", "（三）从事政府信息公开工作人员数", "人", _S8),
    _o("工作人员.专职", "1.专职人员数（不包括政府公报及政府网站工作人员数）", "人", _S8, group="工作人员"),
    _o("工作人员.兼职", "2.兼职人员数", "人", _S8, group="工作人员"),
    _o("专项经费", "（四）政府信息公开专项经费（不包括用于政府公报编辑管理及政府网站建设维护等方面的经费）", "万元",
       _S8, decimal=True),
    _o("会议培训", "九、政府信息公开会议和培训情况", "", _S9, header_only=True),
    _o("会议数", "（一）召开政府信息公开工作会议或专题会议数", "次", _S9),
    _o("培训班数", "（二）举办各类培训班数", "次", _S9),
    _o("培训人次", "（三）接受培训人员数", "人次", _S9),
)

# The old table's forms: the national 统计表 of 2008–2018, and the provinces' shorter tables (Fujian's
# 17 rows with 电子邮件/其它形式申请数 and 行政申诉数, its zones' 15–16 rows with 信函、传真申请数, 其他类型答复数,
# 收费减免金额 in 元, 接受行政诉讼、举报数), which print a 历年累计 column beside the year's figure and
# list only some of the national rows. Which form a table is follows from the rows it prints.
OLD_FORMS: dict[str, str] = {
    "national": "全国统一的政府信息公开情况统计表",
    "provincial": "省级简表（如福建：年度与历年累计两列，电子邮件、其它形式申请数、行政申诉数等行）",
}
PROVINCIAL_ROWS = frozenset({"申请.电子邮件", "申请.其他形式", "申请.信函传真", "答复.其他类型", "收费减免金额", "诉讼举报",
                             "申诉", "申诉举报"})


def old_table_form(row_ids: Iterable[str]) -> str | None:
    """Which form of the old table prints these rows (ids without ``old.``); None for no rows."""
    ids = set(row_ids)
    if not ids:
        return None
    return "provincial" if ids & PROVINCIAL_ROWS else "national"


def table_form(template: str | None, keys: Iterable[str]) -> str | None:
    """The form of a report's tables from the keys it printed: for the old template, national or provincial."""
    if template != "2008":
        return None
    return old_table_form({k[4:].removesuffix(".历年累计") for k in keys if k.startswith("old.")})


_OLD_SECOND_COLUMN = ColumnSpec("old", "历年累计", "历年累计", ("累计",), OLD)

# numbers the narrative states as a group total (GOLD-KEYS "Further conventions")
_PROSE_ONLY: tuple[tuple[str, str, str], ...] = (
    ("t3.予以公开+部分公开.总计", "予以公开及部分公开（总计）", "t3"),
    ("t4.诉讼.总计", "行政诉讼（总计）", "t4"),
    ("t4.复议+诉讼.总计", "行政复议和行政诉讼（总计）", "t4"),
)


def _build() -> tuple[FieldSpec, ...]:
    out: list[FieldSpec] = []
    t2_rows = {r.id: r for r in _T2_ROWS}
    t2_cols = {c.id: c for c in _T2_COLS}
    seen: dict[str, int] = {}
    for template in ("2021", "2019"):
        for row_id, col_ids in _T2_LAYOUT[template].items():
            for col_id in col_ids:
                row, col = t2_rows[row_id], t2_cols[col_id]
                key = f"t2.{row_id}.{col_id}"
                if key in seen:  # 处理决定数量 is printed by both templates
                    old = out[seen[key]]
                    out[seen[key]] = FieldSpec(key, "t2", old.row, old.column, old.templates | {template},
                                               old.unit, old.decimal, old.signed)
                    continue
                seen[key] = len(out)
                out.append(FieldSpec(key, "t2", row, col, frozenset({template}), col.unit or row.unit,
                                     col.decimal or row.decimal, col.signed or row.signed))
    for row in _T3_ROWS:
        if row.header_only:
            continue
        for col in _T3_COLS:
            out.append(FieldSpec(f"t3.{row.id}.{col.id}", "t3", row, col, row.templates, "件",
                                 optional=row.optional or row.subtotal))
    for row in _T4_ROWS:
        for col in _T4_COLS:
            out.append(FieldSpec(f"t4.{row.id}.{col.id}", "t4", row, col, NEW, "件"))
    for row in _OLD_ROWS:
        if row.header_only:
            continue
        out.append(FieldSpec(f"old.{row.id}", "old", row, None, OLD, row.unit, row.decimal, optional=row.optional))
    for row in _OLD_ROWS:
        if row.header_only:
            continue
        out.append(FieldSpec(f"old.{row.id}.历年累计", "old", row, _OLD_SECOND_COLUMN, OLD, row.unit, row.decimal,
                             optional=True))
    for key, label, table in _PROSE_ONLY:
        row = RowSpec(table, key.split(".", 1)[1].rsplit(".", 1)[0], label)
        out.append(FieldSpec(key, table, row, None, NEW, "件", optional=True, prose_only=True))
    return tuple(out)


FIELDS: tuple[FieldSpec, ...] = _build()
BY_KEY: dict[str, FieldSpec] = {f.key: f for f in FIELDS}


def field(key: str) -> FieldSpec:
    """The catalog entry of a key; raises KeyError for an unknown key."""
    return BY_KEY[key]


@cache
def fields_for(template: str, *, include_optional: bool = True, include_prose_only: bool = False,
               include_second_column: bool = False) -> tuple[FieldSpec, ...]:
    """The cells a template prints, in the order of the official form."""
    out = []
    for f in FIELDS:
        if template not in f.templates:
            continue
        if f.prose_only and not include_prose_only:
            continue
        if f.key.endswith(".历年累计") and not include_second_column:
            continue
        if f.optional and not include_optional and not f.prose_only:
            continue
        out.append(f)
    return tuple(out)


def rows(table: str, template: str | None = None) -> tuple[RowSpec, ...]:
    """Row specs of a table (headers included), optionally only those a template prints."""
    src = {"t2": _T2_ROWS, "t3": _T3_ROWS, "t4": _T4_ROWS, "old": _OLD_ROWS}[table]
    return tuple(r for r in src if template is None or template in r.templates)


def columns(table: str, template: str | None = None) -> tuple[ColumnSpec, ...]:
    src = {"t2": _T2_COLS, "t3": _T3_COLS, "t4": _T4_COLS, "old": (_OLD_SECOND_COLUMN,)}[table]
    return tuple(c for c in src if template is None or template in c.templates)


def t2_layout(template: str) -> dict[str, tuple[str, ...]]:
    """Which columns each table-二 row prints in a template."""
    return dict(_T2_LAYOUT.get(template, {}))


def t3_item_rows(template: str, group: str) -> tuple[str, ...]:
    """Row ids of the items of a table-三 group (不予公开 → 不予公开.1 … .8)."""
    return tuple(r.id for r in _T3_ROWS if r.group == group and template in r.templates)


def keys(template: str, **kw) -> list[str]:
    return [f.key for f in fields_for(template, **kw)]


def labels(keys_: Iterable[str]) -> dict[str, str]:
    return {k: BY_KEY[k].label for k in keys_ if k in BY_KEY}


# the words that tell a report's six sections from other numbered headings ("三、本年度办理结果")
SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "一": ("总体情况", "概述", "基本情况"),
    "二": ("主动公开",),
    "三": ("收到和处理", "依申请"),
    "四": ("行政复议", "行政诉讼"),
    "五": ("问题", "改进"),
    "六": ("其他需要报告", "其他事项"),
}


def template_for_year(year: int | None) -> str | None:
    """The template in force for a report year (2008–2018 old table, 2019–2020 试行, 2021 on)."""
    if year is None:
        return None
    if year <= 2018:
        return "2008"
    if year <= 2020:
        return "2019"
    return "2021"


UNITS: tuple[str, ...] = ("件", "条", "次", "篇", "人", "人次", "个", "万元", "元")
