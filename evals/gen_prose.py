"""The narrative of a synthetic report: title, sections and sentences that restate table figures.

Sentences are templates whose ``{key}`` slots are filled from the printed table values; every filled
slot is recorded as a prose value, so the gold file knows exactly which figures the text restates.
A sentence whose figure is blank in the table is left out (a blank has no number to restate).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .gen_values import Number

_SYL = "青云石临安平宁丰河川湖山泉桥永昌和兴华阳德清远江松林溪岭源新明嘉泰康乐"
_KINDS_CITY = ("市", "州")
_OFFICES = ("人民政府办公室", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "教育局", "卫生健康委员会",
            "市场监督管理局", "民政局", "财政局", "人力资源和社会保障局", "农业农村局", "水利局", "应急管理局",
            "司法局", "商务局", "文化和旅游局", "统计局", "医疗保障局", "城市管理局")


def _name(rng: random.Random, n: int = 2) -> str:
    return "".join(rng.choice(_SYL) for _ in range(n))


def agency_name(rng: random.Random) -> str:
    """A made-up agency in one of the shapes real reports carry."""
    city, area = _name(rng) + rng.choice(_KINDS_CITY), _name(rng)
    shape = rng.randrange(6)
    if shape == 0:
        return f"{city}{area}区人民政府办公室"
    if shape == 1:
        return f"{area}县{rng.choice(_OFFICES[1:])}"
    if shape == 2:
        return f"{city}{rng.choice(_OFFICES)}"
    if shape == 3:
        return f"{city}{area}区人民政府"
    if shape == 4:
        return f"{area}县{_name(rng)}镇人民政府"
    return f"{city}{area}区{_name(rng)}街道办事处"


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # title | para | heading | table | sign
    text: str = ""


_SLOT = re.compile(r"\{([^{}]+)\}")


class _Writer:
    def __init__(self, rng: random.Random, values: dict[str, Number | None], extra: dict[str, Number],
                 overrides: dict[str, Number]) -> None:
        self.rng, self.values, self.extra, self.overrides = rng, values, extra, overrides
        self.prose_values: dict[str, Number] = {}

    def fill(self, sentence: str, p: float = 1.0) -> str:
        """The sentence with its slots filled, or "" when dropped (by chance or for a blank figure)."""
        keep = self.rng.random() < p  # drawn even when unused so later choices do not shift
        keys = _SLOT.findall(sentence)
        got: dict[str, Number] = {}
        for k in keys:
            v = self.values.get(k, self.extra.get(k))
            if v is None:
                return ""
            got[k] = self.overrides.get(k, v)
        if not keep:
            return ""
        for k, v in got.items():
            self.prose_values[k] = v
        return _SLOT.sub(lambda m: _num(got[m.group(1)]), sentence)

    def para(self, *sentences: str) -> str:
        return "".join(s for s in sentences if s)


def _num(v: Number) -> str:
    if isinstance(v, float):
        return str(int(v)) if v == int(v) else f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


_GENERIC_OPEN = (
    "坚持以公开为常态、不公开为例外，围绕中心工作推进决策、执行、管理、服务、结果公开，政府信息公开工作质量稳步提升。",
    "严格落实政务公开各项要求，健全信息发布审查机制，做到应公开尽公开，公开内容及时、准确、完整。",
    "把政府信息公开作为建设法治政府和服务型政府的重要抓手，明确分管负责同志和具体承办人员，工作责任层层压实。",
)
_GENERIC_PLATFORM = (
    "持续优化门户网站政府信息公开专栏，按照统一目录规范栏目设置，及时清理过期和无效链接。",
    "依托政务新媒体开展信息发布和政策宣传，做好网站与新媒体的内容同步和互动回应。",
)
_GENERIC_MANAGE = (
    "建立政府信息公开属性源头认定机制，公文拟制时同步明确公开属性，未予公开的说明理由。",
    "定期开展保密审查和个人信息保护检查，确保公开信息不涉密、不泄露个人隐私。",
)
_GENERIC_SUPERVISE = (
    "将政务公开纳入年度绩效考核，组织业务培训，全年未发生因政府信息公开工作引起的责任追究情况。",
    "主动接受社会监督，畅通意见建议渠道，对群众反映的问题及时核查整改。",
)
_PROBLEMS = (
    ("本年度政府信息公开工作取得一定成效，但仍存在一些不足：一是政策解读形式较为单一，图文、视频解读偏少；"
     "二是部分栏目更新不够及时；三是工作人员业务能力有待进一步提高。"),
    "下一步，将进一步加强政策解读和回应关切，完善信息发布审核流程，加大业务培训力度，推动政府信息公开工作规范化、标准化。",
)


_FOCUS = ("优化营商环境", "乡村振兴", "民生实事项目", "重大建设项目", "安全生产专项整治", "义务教育招生入学",
          "医疗保障待遇调整", "城市更新改造", "防汛抗旱", "老旧小区改造", "生态环境保护督察整改", "就业创业扶持",
          "养老服务体系建设", "农村人居环境整治", "食品药品安全监管", "公共文化服务", "社会救助", "市场主体培育",
          "交通基础设施建设", "耕地保护", "住房保障", "科技创新平台建设", "水利工程建设", "文明城市创建")
_ACTION = ("集中公开相关政策文件和办事指南", "开设专题专栏并持续更新工作进展", "组织政策解读在线访谈",
           "以图解和短视频形式解读政策要点", "在政务新媒体同步推送办理进度", "邀请利益相关方代表列席专题会议",
           "建立意见征集和采纳情况反馈机制", "梳理编制基层政务公开事项清单", "召开新闻发布会通报进展",
           "在村（社区）公开栏张贴告知", "向社会公开征求意见并集中回应", "逐项公开资金使用和项目进度",
           "公开办理流程和投诉渠道", "发布常见问题解答", "组织政府开放日活动", "在便民服务中心设置查阅点")
_RESULT = ("群众知晓度明显提高", "相关咨询量有所下降", "社会反响良好", "办事效率进一步提升", "监督作用得到发挥",
           "工作透明度持续增强", "回应更加及时精准", "政策落实更加到位")


def this_years_work(rng: random.Random, paragraphs: int = 2) -> list[Block]:
    """Paragraphs on the year's particular work (no figures): what makes one year's report differ from the next."""
    out = []
    for _ in range(paragraphs):
        sentences = []
        for focus in rng.sample(_FOCUS, 3):
            place = f"{_name(rng)}{rng.choice(('片区', '园区', '街道', '乡镇', '社区'))}"
            actions = "、".join(rng.sample(_ACTION, 2))
            sentences.append(f"围绕{focus}，在{place}{actions}，{rng.choice(_RESULT)}。")
        out.append(Block("para", "".join(sentences)))
    return out


def new_format(rng: random.Random, template: str, agency: str, year: int, values: dict[str, Number | None],
               extra: dict[str, Number], overrides: dict[str, Number], phone: str,
               signed: str) -> tuple[list[Block], dict[str, Number]]:
    """Blocks of a 2019/2021-format report; tables are ``Block("table", id)`` placeholders."""
    w = _Writer(rng, values, extra, overrides)
    doc = "国办公开办函〔2021〕30号" if template == "2021" else "国办公开办函〔2019〕60号"
    out = [Block("title", f"{agency}{year}年政府信息公开工作年度报告")]
    out.append(Block("para", f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{doc}有关要求编制，"
                     "由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
                     "存在的主要问题及改进情况、其他需要报告的事项六部分组成。"
                     f"本报告中所列数据统计期限自{year}年1月1日起至{year}年12月31日止。"
                     f"本报告电子版可在{agency}门户网站查阅或下载，如对本报告有疑问，请与本机关联系（联系电话：{phone}）。"))
    out.append(Block("heading", "一、总体情况"))
    out.append(Block("para", f"{year}年，{agency}" + rng.choice(_GENERIC_OPEN)))
    out.append(Block("heading", "（一）主动公开"))
    if template == "2021":
        s1 = w.fill("全年制发行政规范性文件{t2.行政规范性文件.本年制发}件，废止{t2.行政规范性文件.本年废止}件，"
                    "现行有效行政规范性文件{t2.行政规范性文件.现行有效}件，均已在门户网站集中公开。", 0.7)
        s2 = w.fill("公开行政许可处理决定{t2.行政许可.处理决定数量}件、行政处罚决定{t2.行政处罚.处理决定数量}件。", 0.5)
    else:
        s1 = w.fill("全年新制作规范性文件{t2.行政规范性文件.本年新制作}件，新公开{t2.行政规范性文件.本年新公开}件，"
                    "对外公开规范性文件总数达到{t2.行政规范性文件.对外公开总数}件。", 0.7)
        s2 = w.fill("公开行政许可处理决定{t2.行政许可.处理决定数量}件。", 0.5)
    out.append(Block("para", w.para(s1, s2, "围绕重点领域做好信息发布，及时公开财政预决算、重大建设项目和公共资源配置等信息。")))
    out.append(Block("heading", "（二）依申请公开"))
    s1 = w.fill("全年共收到政府信息公开申请{t3.本年新收.总计}件，", 0.9) or "全年依法受理政府信息公开申请，"
    s2 = w.fill("上年结转{t3.上年结转.总计}件。", 0.5)
    if w.rng.random() < 0.5:
        s3 = w.fill("其中予以公开{t3.予以公开.总计}件，部分公开{t3.部分公开.总计}件，", 0.7)
    else:
        s3 = w.fill("予以公开及部分公开{t3.予以公开+部分公开.总计}件，", 0.7)
    s4 = w.fill("办理完毕{t3.办理结果总计.总计}件，", 0.5)
    s5 = w.fill("结转下年度继续办理{t3.结转下年度.总计}件。", 0.6)
    out.append(Block("para", w.para(s1, s2, s3, s4, s5, "所有申请均在法定期限内答复。")))
    out.append(Block("heading", "（三）政府信息管理"))
    out.append(Block("para", rng.choice(_GENERIC_MANAGE)))
    out.append(Block("heading", "（四）政府信息公开平台建设"))
    out.append(Block("para", rng.choice(_GENERIC_PLATFORM)))
    out.append(Block("heading", "（五）监督保障"))
    s1 = w.fill("本年度因政府信息公开被申请行政复议{t4.复议.总计}件，被提起行政诉讼{t4.诉讼.总计}件。", 0.7)
    out.append(Block("para", w.para(rng.choice(_GENERIC_SUPERVISE), s1)))
    out.append(Block("heading", "二、主动公开政府信息情况"))
    out.append(Block("table", "t2"))
    out.append(Block("heading", "三、收到和处理政府信息公开申请情况"))
    out.append(Block("table", "t3"))
    out.append(Block("heading", "四、政府信息公开行政复议、行政诉讼情况"))
    out.append(Block("table", "t4"))
    out.append(Block("heading", rng.choice(("五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况"))))
    out.extend(Block("para", p) for p in _PROBLEMS)
    out.append(Block("heading", "六、其他需要报告的事项"))
    if template == "2021":
        if rng.random() < 0.7:
            fee = "本年度未收取信息处理费。"
        else:
            n = rng.randint(1, 5)
            fee = (f"依据《政府信息公开信息处理费管理办法》，本年度发出收费通知{n}件，"
                   f"实际收取信息处理费{n * rng.choice((100, 200, 380, 400))}元。")
        out.append(Block("para", fee + "本年度政务公开工作要点确定的各项任务均已落实。"))
    else:
        out.append(Block("para", "无。"))
    out.append(Block("sign", agency))
    out.append(Block("sign", signed))
    return out, w.prose_values


def old_format(rng: random.Random, agency: str, year: int, values: dict[str, Number | None],
               overrides: dict[str, Number], phone: str, signed: str) -> tuple[list[Block], dict[str, Number]]:
    """Blocks of a 2008–2018 report with the 统计表 attached at the end."""
    w = _Writer(rng, values, {}, overrides)
    out = [Block("title", f"{agency}{year}年政府信息公开工作年度报告")]
    out.append(Block("para", "本报告根据《中华人民共和国政府信息公开条例》要求编制，全文由概述、主动公开政府信息情况、"
                     "依申请公开政府信息情况、政府信息公开收费及减免情况、因政府信息公开申请行政复议和提起行政诉讼情况、"
                     "存在的主要问题及改进措施、其他需要报告的事项以及附表组成。"
                     f"本报告中所列数据统计期限自{year}年1月1日起至{year}年12月31日止。"
                     f"本报告的电子版可以从{agency}门户网站下载，咨询电话：{phone}。"))
    out.append(Block("heading", "一、概述"))
    out.append(Block("para", f"{year}年，{agency}" + rng.choice(_GENERIC_OPEN) + rng.choice(_GENERIC_SUPERVISE)))
    out.append(Block("heading", "二、主动公开政府信息情况"))
    out.append(Block("para", w.para(
        w.fill("全年主动公开政府信息{old.主动公开数}条，", 0.8) or "全年持续做好主动公开工作，",
        w.fill("其中通过政府网站公开{old.渠道.政府网站}条，", 0.7),
        w.fill("通过政务微博公开{old.渠道.政务微博}条，", 0.4),
        w.fill("制发规范性文件{old.制发规范性文件总数}件。", 0.6),
        w.fill("参加或举办新闻发布会{old.新闻发布会}次，发布政策解读稿件{old.政策解读稿件}篇。", 0.5),
        w.fill("人大代表建议和政协提案办理结果公开{old.建议提案办理结果公开数}件。", 0.6))))
    out.append(Block("heading", "三、依申请公开政府信息情况"))
    out.append(Block("para", w.para(
        w.fill("共收到政府信息公开申请{old.收到申请数}件，", 0.9) or "依法办理政府信息公开申请，",
        w.fill("其中当面申请{old.申请.当面}件、传真申请{old.申请.传真}件、网络申请{old.申请.网络}件、信函申请{old.申请.信函}件。", 0.5),
        w.fill("申请办结{old.办结数}件，其中按时办结{old.办结.按时}件，延期办结{old.办结.延期}件。", 0.5),
        w.fill("对申请的答复数为{old.答复数}件，其中同意公开{old.答复.同意公开}件，不同意公开{old.答复.不同意公开}件。", 0.6))))
    out.append(Block("heading", "四、政府信息公开的收费及减免情况"))
    fee = values.get("old.收费")
    if not fee:
        out.append(Block("para", "本年度未收取政府信息公开相关费用，也未发生减免情况。"))
    else:
        out.append(Block("para", w.fill("本年度依申请公开信息收取检索、复制、邮寄等费用{old.收费}万元。") or "无。"))
    out.append(Block("heading", "五、因政府信息公开申请行政复议、提起行政诉讼的情况"))
    out.append(Block("para", w.para(
        w.fill("本年度发生政府信息公开行政复议{old.复议}件，", 0.8),
        w.fill("行政诉讼{old.诉讼}件，", 0.8),
        w.fill("接到举报投诉{old.举报投诉}件。", 0.6)) or "无。"))
    out.append(Block("heading", "六、机构建设、保障经费和培训会议情况"))
    out.append(Block("para", w.para(
        w.fill("设立政府信息公开工作专门机构{old.专门机构数}个，设置政府信息公开查阅点{old.查阅点数}个，", 0.5),
        w.fill("从事政府信息公开工作人员{old.工作人员}人，其中专职人员{old.工作人员.专职}人，兼职人员{old.工作人员.兼职}人。", 0.6),
        w.fill("召开政府信息公开工作会议或专题会议{old.会议数}次，举办各类培训班{old.培训班数}次，接受培训人员{old.培训人次}人次。", 0.6))
        or "按要求配齐工作人员，保障工作经费。"))
    out.append(Block("heading", "七、存在的主要问题及改进措施"))
    out.extend(Block("para", p) for p in _PROBLEMS)
    out.append(Block("heading", "八、其他需要报告的事项"))
    out.append(Block("para", "无。"))
    out.append(Block("sign", agency))
    out.append(Block("sign", signed))
    out.append(Block("para", "附表："))
    out.append(Block("table", "old"))
    return out, w.prose_values
