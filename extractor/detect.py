"""Template, year, agency and the other report metadata, read from the document.

The template is decided by label fingerprints first (the 2021 table 二 columns 本年制发/现行有效,
the 2019 ones 本年新制作/对外公开总数, the old 统计表 rows) and by the report year only when no
fingerprint is printed, so a report on the wrong template for its year is detected as such and
can be flagged by the metadata rules.
"""

from __future__ import annotations

import re
from datetime import date

from extractor.document import Document, compact, squash
from extractor.text import prose_text
from schemas.catalog import SECTION_WORDS, template_for_year
from schemas.results import ReportMeta

_FINGERPRINTS: dict[str, tuple[str, ...]] = {
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"),
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量"),
    "2008": ("统计指标", "主动公开政府信息数", "回应解读情况", "申请答复数", "申请办结数", "举报投诉数量",
             "同意公开答复数", "不同意公开答复数", "政府信息公开情况统计表"),
}
_NEW_TABLES = ("本年新收政府信息公开申请数量", "本年度办理结果", "结转下年度继续办理")
_REPORT_WORDS = ("政府信息公开", "年度报告", "依申请公开", "主动公开")

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "○": 0}
_YEAR = r"((?:19|20)\d{2}|[〇零一二三四五六七八九○]{4})"
_TITLE_RE = re.compile(rf"^(?P<agency>.*?){_YEAR}年度?(?:政府信息公开|政务公开)(?:工作)?(?:年度)?报告")
_PERIOD_RE = re.compile(rf"{_YEAR}年(\d{{1,2}})月(\d{{1,2}})日(?:起)?(?:至|到|-|—|~)+{_YEAR}?年?(\d{{1,2}})月(\d{{1,2}})日")
_DATE_RE = re.compile(rf"^{_YEAR}年(\d{{1,2}})月(\d{{1,2}})日$")
_INLINE_SECTION = re.compile(r"(?<![(（一二三四五六七八九十])[一二三四五六七八九][、.．]")
_SECTION_RE = re.compile(r"^([一二三四五六七八九])[、.．]\s*(.{2,30})")
_FEE_RE = re.compile(r"[^。]*信息处理费[^。]*。?")
_FIELD_LABEL = re.compile(r"^(?:标题|题目|文章标题|title)[:：]", re.IGNORECASE)
_CAPTION_RE = re.compile(rf"(?:附件\d*[:：]?|附表[:：]?)?(?P<agency>[^\s,，。:：;；]{{2,30}}?){_YEAR}年度?政府信息公开(?:工作)?情况统计表")
_TABLE_YEAR_RE = re.compile(rf"[(（]{_YEAR}年度?[)）]")


def _year(s: str) -> int:
    if s.isdigit():
        return int(s)
    return int("".join(str(_CN_DIGITS.get(c, 0)) for c in s))


def fingerprint_template(doc: Document) -> tuple[str | None, list[str]]:
    """The template the printed labels say, with the labels that said it."""
    text = compact(doc.text)
    hits = {t: [w for w in words if w in text] for t, words in _FINGERPRINTS.items()}
    if hits["2021"] and len(hits["2021"]) >= len(hits["2019"]):
        return "2021", hits["2021"]
    if hits["2019"]:
        return "2019", hits["2019"]
    if len(hits["2008"]) >= 2:
        return "2008", hits["2008"]
    if any(w in text for w in _NEW_TABLES):
        return None, [w for w in _NEW_TABLES if w in text]
    return None, []


def looks_like_report(doc: Document) -> bool:
    """A document that names none of the report's vocabulary is not an annual report."""
    text = compact(doc.text)
    score = sum(1 for w in _REPORT_WORDS if w in text)
    labels = sum(1 for words in _FINGERPRINTS.values() for w in words if w in text)
    return score >= 2 or labels >= 2


def detect(doc: Document) -> ReportMeta:
    """Read title, agency, year, template, statistics period, publication date, sections and fee text."""
    meta = ReportMeta()
    paragraphs = [p.text.strip() for p in doc.paragraphs() if p.text.strip()]
    squashed = [squash(p) for p in paragraphs]

    # title: the first lines that name the report, joined (titles are often split over two lines)
    for i, s in enumerate(squashed[:12]):
        s = _FIELD_LABEL.sub("", s)  # an archiver's "标题: …" line
        joined = ""
        if i and len(squashed[i - 1]) <= 30 and _TITLE_RE.match(squashed[i - 1] + s):
            joined = squashed[i - 1] + s  # the agency on the line above the year
        elif _TITLE_RE.match(s):
            joined = s
        m = _TITLE_RE.match(joined) if joined else None
        if m and _plausible_agency(m.group("agency")):
            meta.title = joined[: m.end()]
            meta.title_year = _year(m.group(2))
            agency = m.group("agency").strip("：:，, ")
            if agency:
                meta.agency = agency
            break
    if not meta.agency:  # a report cut out of its page: the statistics table's caption names the agency
        cm = _CAPTION_RE.search(compact(doc.text))
        if cm and _plausible_agency(cm.group("agency")):
            meta.agency = cm.group("agency")

    text = prose_text(doc)
    m = _PERIOD_RE.search(text)
    if m:
        y1 = _year(m.group(1))
        y2 = _year(m.group(4)) if m.group(4) else y1
        try:
            meta.period_start = date(y1, int(m.group(2)), int(m.group(3)))
            meta.period_end = date(y2, int(m.group(5)), int(m.group(6)))
        except ValueError:
            pass

    # publication date: a date line near the end of the prose, signed by the agency on the line above
    for i in range(len(squashed) - 1, -1, -1):
        dm = _DATE_RE.match(squashed[i])
        if dm:
            try:
                meta.published = date(_year(dm.group(1)), int(dm.group(2)), int(dm.group(3)))
            except ValueError:
                continue
            if i > 0 and len(squashed[i - 1]) <= 40 and not _SECTION_RE.match(squashed[i - 1]):
                signer = squashed[i - 1]
                if not meta.agency:
                    meta.agency = signer
            break

    if meta.agency:
        meta.agency = _full_agency_name(meta.agency, compact(doc.text))

    table_year = None
    tm = _TABLE_YEAR_RE.search(compact(doc.text))
    if tm:
        table_year = _year(tm.group(1))
    meta.year = meta.title_year or (meta.period_end.year if meta.period_end else None) or table_year

    template, evidence = fingerprint_template(doc)
    meta.template = template or template_for_year(meta.year)  # type: ignore[assignment]
    meta.template_evidence = evidence

    meta.sections = _sections(squashed + [compact(c.text) for c in doc.iter_cells() if not c.covered])
    fee = _FEE_RE.search(text)
    if fee:
        meta.fee_statement = fee.group(0)
    return meta


def _plausible_agency(name: str) -> bool:
    """An agency name, not a sentence that happens to end in "…年度政府信息公开年度报告"."""
    return 0 < len(name.strip("：:，, ")) <= 40 and not re.search(r"[《》，,。；;]|根据|本报告", name)


def _sections(lines: list[str]) -> list[str]:
    """The numbered section headings, in order, once each (headings may sit in paragraphs or cells).

    In the text of a web page the whole report is one line: its headings are found inside it.
    """
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        starts = [0] + ([m.start() for m in _INLINE_SECTION.finditer(line)] if len(line) > 200 else [])
        for at in starts:
            head = line[at:at + 24]  # a heading may run on into a table caption or the first sentence
            m = _SECTION_RE.match(head)
            if not m or m.group(1) in seen:
                continue
            words = SECTION_WORDS.get(m.group(1), ())
            if words and not any(w in head for w in words):
                continue
            seen.add(m.group(1))
            out.append(f"{m.group(1)}、{m.group(2)}")
    return out


def _full_agency_name(agency: str, text: str) -> str:
    """Expand a short title name ("洪泽区人民政府") to the full one the text uses ("淮安市洪泽区人民政府")."""
    best = agency
    for m in re.finditer(rf"([^\W\d由在的向与和对是为据本报告我请联系于将至及]{{1,4}}?[省市州盟])({re.escape(agency)})", text):
        cand = m.group(1) + m.group(2)
        if len(cand) > len(best) and text.count(cand) >= 1:
            best = cand
            break
    return best
