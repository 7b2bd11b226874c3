"""Numbers the narrative restates ("共受理信息公开申请233件"), read into their catalog keys.

Patterns are data: a key, the templates, a regular expression over the prose with whitespace
removed (lines wrapped by PDF layout rejoin), and optionally a scope that the same sentence group
must mention (the 其他情形 of 行政诉讼 is not the 其他情形 of 行政复议). The first match wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.document import Document
from extractor.text import BREAK as _BREAK
from extractor.text import ProseText, build_prose
from schemas.results import Evidence, Value


@dataclass(frozen=True, slots=True)
class ProsePattern:
    key: str
    templates: frozenset[str]
    pattern: str
    scope: str | None = None  # a regex the segment must contain
    total_of_groups: bool = False  # the value is the sum of every captured group


_OLD = frozenset({"2008"})
_NEW = frozenset({"2019", "2021"})
_N = r"(\d+)"
_D = r"(\d+(?:\.\d+)?)"

PATTERNS: tuple[ProsePattern, ...] = (
    # ---------------------------------------------------------------- 2008 统计表 era
    ProsePattern("old.建议提案办理结果公开数", _OLD, rf"人大代表建议(?:有|共)?{_N}件.{{0,12}}?政协(?:委员)?提案(?:有|共)?{_N}件",
                 total_of_groups=True),
    ProsePattern("old.建议提案办理结果公开数", _OLD, rf"人大代表建议和政协提案办理结果公开{_N}件"),
    ProsePattern("old.主动公开数", _OLD, rf"(?:全年|共)?主动公开政府信息{_N}条"),
    ProsePattern("old.渠道.政府网站", _OLD, rf"(?:门户网站|政府网站)(?:公开|发布)(?:政府)?(?:信息)?{_N}条"),
    ProsePattern("old.渠道.政务微博", _OLD, rf"政务微博(?:公开|发布)(?:政府)?(?:信息)?{_N}条"),
    ProsePattern("old.渠道.政务微信", _OLD, rf"政务微信(?:公开|发布)(?:政府)?(?:信息)?{_N}条"),
    ProsePattern("old.制发规范性文件总数", _OLD, rf"制发规范性文件{_N}件"),
    ProsePattern("old.新闻发布会", _OLD, rf"(?:参加或)?举办新闻发布会{_N}次"),
    ProsePattern("old.政策解读稿件", _OLD, rf"政策解读稿件{_N}篇"),
    ProsePattern("old.办结数", _OLD, rf"申请办结{_N}件"),
    ProsePattern("old.办结.按时", _OLD, rf"按时办结{_N}件"),
    ProsePattern("old.办结.延期", _OLD, rf"延期办结{_N}件"),
    ProsePattern("old.收费", _OLD, rf"收取.{{0,12}}?费用{_D}万元"),
    ProsePattern("old.收到申请数", _OLD, rf"(?:共|全年)?(?:受理|收到)(?:政府)?信息公开申请(?:共|共计)?{_N}件"),
    ProsePattern("old.申请.当面", _OLD, rf"当面申请{_N}件"),
    ProsePattern("old.申请.传真", _OLD, rf"传真申请{_N}件"),
    ProsePattern("old.申请.网络", _OLD, rf"(?:网络|网上)申请{_N}件"),
    ProsePattern("old.申请.信函", _OLD, rf"信函申请{_N}件"),
    ProsePattern("old.答复数", _OLD, rf"(?:对申请的)?答复(?:数|总数)(?:为|共)?{_N}件"),
    ProsePattern("old.答复.已主动公开", _OLD, rf"属于已主动公开范围\"?的?{_N}件"),
    ProsePattern("old.答复.同意公开", _OLD, rf"(?<![部不])\"?同意公开\"?的?{_N}件"),
    ProsePattern("old.答复.部分公开", _OLD, rf"同意部分公开\"?的?{_N}件"),
    ProsePattern("old.答复.不同意公开", _OLD, rf"不同意公开\"?的?{_N}件"),
    ProsePattern("old.不同意.国家秘密", _OLD, rf"涉及国家秘密的?{_N}件"),
    ProsePattern("old.不同意.商业秘密", _OLD, rf"涉及商业秘密的?{_N}件"),
    ProsePattern("old.不同意.个人隐私", _OLD, rf"涉及个人隐私的?{_N}件"),
    ProsePattern("old.不同意.三安全一稳定", _OLD, rf"危及国家安全.{{0,20}}?社会稳定的?{_N}件"),
    ProsePattern("old.不同意.非政府信息", _OLD, rf"不是《?条例》?所指(?:的)?政府信息的?{_N}件"),
    ProsePattern("old.不同意.其他情形", _OLD, rf"法律法规规定的其他情形的?{_N}件"),
    ProsePattern("old.答复.非本机关", _OLD, rf"不属于本(?:行政)?机关公开(?:范围)?的?{_N}件"),
    ProsePattern("old.答复.信息不存在", _OLD, rf"申请(?:的)?信息不存在的?{_N}件"),
    ProsePattern("old.答复.更改补充", _OLD, rf"告知(?:作出)?更改补充的?{_N}件"),
    ProsePattern("old.答复.其他途径", _OLD, rf"告知通过其他途径办理的?{_N}件"),
    ProsePattern("old.复议", _OLD, rf"行政复议(?:案件)?(?:共|共计)?{_N}件"),
    ProsePattern("old.复议.维持", _OLD, rf"维持具体行政行为{_N}件", scope="行政复议"),
    ProsePattern("old.复议.纠错", _OLD, rf"被依法纠错{_N}件", scope="行政复议"),
    ProsePattern("old.复议.其他", _OLD, rf"(?<!规定的)其他情形{_N}件", scope="行政复议"),
    ProsePattern("old.诉讼", _OLD, rf"行政诉讼(?:案件)?(?:共|共计)?{_N}件"),
    ProsePattern("old.诉讼.维持", _OLD, rf"维持具体行政行为或者?驳回原告诉讼请求{_N}件", scope="行政诉讼"),
    ProsePattern("old.诉讼.纠错", _OLD, rf"被依法纠错{_N}件", scope="行政诉讼"),
    ProsePattern("old.诉讼.其他", _OLD, rf"(?<!规定的)其他情形{_N}件", scope="行政诉讼"),
    ProsePattern("old.举报投诉", _OLD, rf"(?:投诉举报|举报投诉){_N}件"),
    ProsePattern("old.专门机构数", _OLD, rf"专门机构{_N}个"),
    ProsePattern("old.查阅点数", _OLD, rf"查阅点{_N}个"),
    ProsePattern("old.工作人员", _OLD, rf"从事政府信息公开工作(?:的)?人员{_N}人"),
    ProsePattern("old.工作人员.专职", _OLD, rf"专职人员{_N}人"),
    ProsePattern("old.工作人员.兼职", _OLD, rf"兼职人员{_N}人"),
    ProsePattern("old.会议数", _OLD, rf"(?:工作会议|专题会议){_N}次"),
    ProsePattern("old.培训班数", _OLD, rf"培训班{_N}次"),
    ProsePattern("old.培训人次", _OLD, rf"接受培训(?:人员)?{_N}人次"),
    # ---------------------------------------------------------------- national formats
    ProsePattern("t3.本年新收.总计", _NEW,
                 rf"(?:新)?(?:收到|受理|接收)(?:各类)?(?:政府)?信息公开申请(?:共|共计|合计)?{_N}件"),
    ProsePattern("t3.上年结转.总计", _NEW, rf"上年(?:度)?结转(?:的)?(?:政府信息公开)?(?:申请)?{_N}件"),
    ProsePattern("t3.结转下年度.总计", _NEW, rf"结转(?:至|到)?下(?:一)?年度(?:继续办理)?(?:的)?(?:申请)?{_N}件"),
    ProsePattern("t3.予以公开+部分公开.总计", _NEW, rf"予以公开(?:及|和|、|与)部分公开(?:的)?(?:共)?{_N}件"),
    ProsePattern("t3.予以公开.总计", _NEW, rf"(?<![不])予以公开(?:的)?{_N}件"),
    ProsePattern("t3.部分公开.总计", _NEW, rf"(?<![及和、与])部分公开(?:的)?{_N}件"),
    ProsePattern("t4.复议.总计", _NEW, rf"(?:政府信息公开)?行政复议(?:案件)?(?:共|共计)?{_N}(?:件|起)"),
    ProsePattern("t4.诉讼.总计", _NEW, rf"(?:政府信息公开)?行政诉讼(?:案件)?(?:共|共计)?{_N}(?:件|起)"),
    ProsePattern("t3.办理结果总计.总计", _NEW, rf"(?:办理完毕|办结)(?:政府信息公开申请)?{_N}件"),
    ProsePattern("t2.行政许可.处理决定数量", _NEW, rf"行政许可(?:处理)?决定(?:书)?{_N}件"),
    ProsePattern("t2.行政处罚.处理决定数量", _NEW, rf"行政处罚(?:处理)?决定(?:书)?{_N}件"),
    ProsePattern("t2.行政强制.处理决定数量", _NEW, rf"行政强制(?:处理)?决定(?:书)?{_N}件"),
    ProsePattern("t2.行政规范性文件.本年新制作", _NEW, rf"新制作(?:行政)?规范性文件{_N}件"),
    ProsePattern("t2.行政规范性文件.本年新公开", _NEW, rf"新公开(?:行政)?(?:规范性文件)?{_N}件", scope="规范性文件"),
    ProsePattern("t2.行政规范性文件.对外公开总数", _NEW, rf"对外公开(?:行政)?规范性文件总数(?:达到|为|共)?{_N}件"),
    ProsePattern("t2.规章.本年制发", _NEW, rf"(?:制发|制定|出台|印发)(?:政府)?规章{_N}件"),
    ProsePattern("t2.规章.现行有效", _NEW, rf"现行有效(?:的)?(?:政府)?规章(?:共)?{_N}件"),
    ProsePattern("t2.行政规范性文件.本年制发", _NEW, rf"(?:制发|制定|出台|印发)(?:行政)?规范性文件{_N}件"),
    ProsePattern("t2.行政规范性文件.本年废止", _NEW, rf"废止(?:行政)?规范性文件{_N}件"),
    ProsePattern("t2.行政规范性文件.本年废止", _NEW, rf"(?:制发|印发)(?:行政)?规范性文件\d+件[,，、]废止{_N}件"),
    ProsePattern("t2.行政规范性文件.现行有效", _NEW,
                 rf"(?:现行有效(?:的)?(?:行政)?规范性文件(?:共)?{_N}件|(?:行政)?规范性文件现行有效{_N}件)"),
)


def _segments(pt: ProseText) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in re.finditer(_BREAK, pt.text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(pt.text)))
    return out


def read_prose(doc: Document, template: str | None) -> dict[str, Value]:
    """Every prose pattern of the template that matches, as values with their sentence as evidence."""
    pt = build_prose(doc)
    segs = _segments(pt)
    found: dict[str, Value] = {}
    for pat in PATTERNS:
        if template not in pat.templates or pat.key in found:
            continue
        rx = re.compile(pat.pattern)
        for a, b in segs:
            seg = pt.text[a:b]
            if pat.scope and not re.search(pat.scope, seg):
                continue
            m = rx.search(seg)
            if not m:
                continue
            groups = [g for g in m.groups() if g is not None]
            nums = [float(g) if "." in g else int(g) for g in groups]
            value = sum(nums) if pat.total_of_groups else nums[0]
            start, end = pt.span(a + m.start(), a + m.end())
            sentence = _sentence(seg, m.start(), m.end())
            found[pat.key] = Value(
                key=pat.key,
                value=value,
                raw=m.group(0),
                status="number",
                evidence=[Evidence(kind="prose", start=start, end=end, text=sentence,
                                   page=doc.page_of(start))],
            )
            break
    return found


def _sentence(seg: str, a: int, b: int) -> str:
    """The clause around a match, for showing and for judging its scope."""
    left = max(seg.rfind(c, 0, a) for c in "。；;!?！？") + 1
    rights = [i for c in "。；;!?！？" if (i := seg.find(c, b)) != -1]
    right = min(rights) + 1 if rights else len(seg)
    return seg[left:right]
