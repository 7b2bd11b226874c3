"""审核: one report — the source with the edit box on the left (it stays in view), the findings and
the official form on the right.

The page is drawn from the place (ui/place.py: report, finding, value — ids only) and the store;
every button, key and click is a callback in ui/review_actions.py. A value is chosen by clicking it
in the form or its box on the PDF page, by choosing a finding, or from the list; its number is then
typed into the one input beside the source, and Enter saves it and moves to the next value.

A scan's values are marked ``OCR`` with the engine's confidence (in the form, the list, the header's
count), the scan is drawn like a PDF page with the boxes, and the chosen value's crop of the scan sits
beside its edit box. A cell the extractor held back (a doubtful digit, an ambiguous split) offers its
readings in its finding; picking one is an edit like any other (ui/picks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from extractor._errors import XxgkError
from extractor.ingest.crops import ocr_crop
from extractor.ocr_review import MIN_ALTERNATIVE
from extractor.store import (
    REVIEW_LABELS,
    DocumentRow,
    EditRow,
    ExtractionRow,
    FindingDecisionRow,
    NotFoundError,
    ReviewRow,
    Store,
    finding_key_of,
)
from extractor.years import YearsReport, neighbours
from schemas.labels import SEVERITY_LABELS, template_label
from schemas.results import Evidence, Number, OcrSource, Result
from ui import components, findings, picks, state
from ui import form_view as fv
from ui import place as P
from ui import queue_model as qm
from ui import review_actions as act
from ui.claims import CLAIMS
from ui.ocr_view import LOOK_BELOW, mark_text, ocr_sources, percent
from ui.queries import store_version
from ui.source_view import (
    Box,
    Mark,
    content_box,
    crop_box,
    crop_html,
    page_html,
    render_image,
    render_page,
    text_excerpt_html,
)
from ui.views.common import (
    DECISION_ACTIONS,
    DECISION_DONE,
    SEVERITY_ICONS,
    extractor_label,
    flash,
    local_time,
    show_flash,
)

TABLE_SHORT: dict[str, str] = {"t2": "表二 · 主动公开", "t3": "表三 · 依申请公开", "t4": "表四 · 复议诉讼", "old": "统计表",
                               "all": "全部表格"}
SCALE = 2.0
ACTIONS = {"j": "next_finding", "k": "prev_finding", "a": "accept", "n": "next_pending", "ctrl+enter": "confirm_next",
           "alt+arrowright": "next_report", "alt+arrowleft": "prev_report"}
FOCUS_KEYS = {"d": act.REASON_INPUT, "e": act.EDIT_INPUT}
KEY_HELP = ("**键盘**　J / K 下一个 / 上一个问题 · A 认定为报告错误 · D 驳回（写理由后按 Enter） · "
            "E 修改所选数值（Enter 保存并到下一个） · N 下一份待审核 · Ctrl+Enter 确认并下一份 · "
            "Alt+← / → 上一份 / 下一份 · Esc 离开输入框（输入时快捷键不起作用）")


@dataclass
class Report:
    """Everything the page shows about one report, read once per run."""

    doc: DocumentRow
    extraction: ExtractionRow
    result: Result
    values: dict[str, Number | None]
    edits: list[EditRow]
    decisions: dict[str, FindingDecisionRow]
    review: ReviewRow
    forms: list[fv.FormTable]
    keys: list[str]  # every printed cell of the form, in form order
    found: list[findings.FindingView]
    years: YearsReport
    previous: dict[str, Number | None] | None  # last year's values, when the store has that report
    ocr: dict[str, OcrSource]  # the values read by OCR, by key

    @property
    def edited(self) -> set[str]:
        return {e.key for e in self.edits}

    def view(self, fid: str | None) -> findings.FindingView | None:
        return next((v for v in self.found if v.id == fid), None)

    def evidence(self, key: str) -> Evidence | None:
        v = self.result.values.get(key) or self.result.prose_values.get(key)
        return v.evidence[0] if v and v.evidence else None

    def held(self, key: str) -> findings.FindingView | None:
        """The finding that held this cell back for a person to pick its reading, if any."""
        return next((v for v in self.found if key in picks.held_keys(v.finding)), None)

    def list_name(self, key: str) -> str:
        """A value's name in the list, with its OCR mark."""
        src = self.ocr.get(key)
        return fv.cell_name(key) + (f"（{mark_text(src)}）" if src is not None and key not in self.edited else "")


@st.cache_resource(show_spinner=False, max_entries=32)
def _neighbours(doc_id: int, version: tuple[int, ...], _store: Store, _result: Result) -> YearsReport:
    return neighbours(_store, _result)


@st.cache_data(show_spinner=False, max_entries=64)
def _page_image(sha256: str, kind: str, name: str, page: int, _data: bytes) -> tuple[bytes, float]:
    """The page as PNG and its pixels per point: a PDF page rendered, or a frame of an image upload."""
    if kind == "image":
        return render_image(_data, name, page)
    return render_page(_data, page, SCALE), SCALE


@st.cache_data(show_spinner=False, max_entries=256)
def _crop_png(sha256: str, name: str, evidence: str, _data: bytes) -> bytes | None:
    try:
        return ocr_crop(_data, name, Evidence.model_validate_json(evidence))
    except XxgkError:  # the file was read once; if it no longer is, the crop is left out, not the page
        return None


def load(store: Store, doc_id: int) -> Report | None:
    extraction = store.latest_extraction(doc_id)
    if extraction is None:
        return None
    doc = store.get_document(doc_id)
    result = extraction.result
    values = store.current_values(doc_id)
    edits = store.edits(doc_id)
    decisions = store.finding_decisions(doc_id)
    forms = fv.forms(result)
    keys = [k for f in forms for k in f.value_keys()]
    current = result.with_values(values)
    years = _neighbours(doc_id, store_version(store), store, current)
    mine = [p for p in years.pairs if p.current.document.sha256 == doc.sha256]
    previous = {k: v.value for k, v in mine[0].previous.values.items()} if mine else None
    text = state.get_document(store, doc_id).text if edits else ""
    found = findings.views(result, values, decisions, text=text, edited=bool(edits),
                           cross_year=[f for p in mine for f in p.findings], edited_keys={e.key for e in edits})
    return Report(doc, extraction, result, values, edits, decisions, store.get_review(doc_id), forms, keys, found,
                  years, previous, ocr_sources(result))


# -- page -----------------------------------------------------------------------------------------------
def render(store: Store) -> None:
    place = P.current()
    doc_id = place.report
    if doc_id is None:
        order = qm.ids(store, act.queue_filter())
        if not order:
            st.info("队列中没有报告。请先在“上传”页上传，或在“审核队列”页改变筛选条件。")
            return
        place = P.go(report=order[0])
        doc_id = order[0]
    try:
        report = load(store, doc_id)
    except NotFoundError:  # a report number from a URL that is not in this store
        st.warning(f"没有编号为 {doc_id} 的报告。")
        return
    if report is None:
        st.warning("这份文件还没有提取结果（可能仍在上传任务中排队）。")
        return
    place = _settle_place(report, place)
    me = state.reviewer()
    holder = CLAIMS.claim(doc_id, me, only=True)
    _header(store, report, holder.who != me)
    show_flash()
    if holder.who != me:
        c1, c2 = st.columns([4, 1])
        c1.warning(f"{holder.who} 正在审核这份报告（自 {local_time(holder.since, '%H:%M')} 起）。"
                   "可以查看；如需修改，请先接手。")
        c2.button("接手审核", key="review_take_over", on_click=act.take_over, args=(doc_id,), width="stretch")
    _dialogs(store, report)
    left, right = st.columns([1.05, 1], gap="medium")
    chosen = report.view(place.finding)
    with left, st.container(key="review_source"):
        _source(store, report, place, chosen)
        _edit_box(store, report, place, disabled=holder.who != me)
    with right:
        _findings(store, report, place, chosen, disabled=holder.who != me)
        _forms(report, place, chosen)
        _years(report)
        _audit(store, report)
    focus = st.session_state.pop(act.FOCUS_KEY, None)
    read_only = holder.who != me
    components.keyboard(ACTIONS, on_action=lambda a: _on_key(store, report, a, read_only), focus_keys=FOCUS_KEYS,
                        focus=focus[0] if focus else None, focus_nonce=focus[1] if focus else None,
                        key="review_keys")


def _settle_place(report: Report, place: P.Place) -> P.Place:
    """A place that fits this report: a known finding, a value of its form, the table that value is in."""
    changes: dict[str, object] = {}
    if place.finding is not None and report.view(place.finding) is None:
        changes["finding"] = None
    key = place.key
    if key not in report.keys:
        chosen = report.view(changes.get("finding", place.finding))  # a finding named in the URL, else the first open
        first_open = chosen or next((v for v in report.found if v.open), None)
        key = next((k for k in (first_open.finding.keys if first_open else []) if k in report.keys), None) or next(
            (k for k in report.keys if report.evidence(k)), report.keys[0] if report.keys else None)
        changes["key"] = key
    tables = [f.table for f in report.forms]
    if place.table not in (*tables, "all"):
        changes["table"] = key.split(".", 1)[0] if key and key.split(".", 1)[0] in tables else tables[0]
    return P.go(**changes) if changes else place


def _on_key(store: Store, report: Report, action: str, read_only: bool) -> None:
    doc_id = report.doc.id
    place = P.current()
    chosen = report.view(place.finding)
    if read_only and action in ("accept", "confirm_next"):
        flash("warning", "另一位审核员正在审核这份报告；如需修改，请先接手。")
        return
    if action in ("next_finding", "prev_finding"):
        act.step_finding(report.found, report.keys, 1 if action == "next_finding" else -1)
    elif action == "accept":
        if chosen is None:
            flash("info", "先用 J / K 选择一个问题")
        elif picks.choices(chosen.finding):
            flash("info", "这个问题需要选定读法：点击一种读法，或在左侧输入数值")
        else:
            act.decide(store, doc_id, chosen, "accepted", report.found, report.keys)
    elif action == "next_pending":
        act.next_pending(store, doc_id)
    elif action == "confirm_next":
        act.confirm_next(store, doc_id, findings.open_errors(report.found))
    elif action in ("next_report", "prev_report"):
        act.step_report(doc_id, 1 if action == "next_report" else -1)


def _header(store: Store, report: Report, read_only: bool) -> None:
    m, review, doc_id = report.result.meta, report.review, report.doc.id
    order = qm.ids(store, act.queue_filter())
    pos = f"第 {order.index(doc_id) + 1} / {len(order)} 份" if doc_id in order else f"不在当前筛选中（共 {len(order)} 份）"
    open_errors = findings.open_errors(report.found)
    raised = sum(1 for v in open_errors if v.raised_by_edit)
    badge = {"pending": "🟠", "confirmed": "🟢", "returned": "🔴"}[review.state]
    who = f"（{review.reviewer}，{local_time(review.updated_at)}）" if review.reviewer else ""
    st.subheader(f"{m.agency or report.doc.name}　{m.year or '？'} 年度报告")
    st.caption(f"{badge} {REVIEW_LABELS[review.state]}{who}　｜　编号 {doc_id}　｜　文件：{report.doc.name}　｜　"
               f"模板：{template_label(m.template)}　｜　提取：{extractor_label(report.result.extractor)}　｜　"
               f"待处理错误：{len(open_errors)}" + (f"（其中 {raised} 个由修改引起）" if raised else "")
               + f"　｜　队列{pos}（{act.queue_filter().describe()}）" + _ocr_summary(report))
    c = st.columns([1, 1, 1.25, 1.6, 1])
    c[0].button("◀ 上一份", key="review_prev", help="Alt+←", on_click=act.step_report, args=(doc_id, -1),
                width="stretch")
    c[1].button("下一份 ▶", key="review_next", help="Alt+→", on_click=act.step_report, args=(doc_id, 1),
                width="stretch")
    c[2].button("下一份待审核 (N)", key="review_next_pending", on_click=act.next_pending, args=(store, doc_id),
                width="stretch")
    label = "✔ 确认并下一份 (Ctrl+Enter)" if review.state != "confirmed" else "已确认 · 下一份待审核"
    c[3].button(label, key="review_confirm", type="primary", on_click=act.confirm_next,
                args=(store, doc_id, open_errors), width="stretch", disabled=read_only)
    with c[4].popover("退回…", width="stretch", disabled=read_only or review.state == "returned"):
        st.text_input("退回原因", key=f"return_note_{doc_id}", placeholder="例如：扫描件不清晰，请重新上传")
        st.button("退回这份报告", key="review_return", on_click=act.return_report, args=(store, doc_id))
    st.caption(KEY_HELP)


def _ocr_summary(report: Report) -> str:
    """How much of the report a person should check against the scan."""
    if not report.ocr:
        return ""
    low = sum(1 for k, s in report.ocr.items() if s.confidence < LOOK_BELOW and k not in report.edited)
    held = sum(1 for v in report.found if v.open and v.finding.rule == "extract.ocr_doubtful")
    return (f"　｜　扫描件：{len(report.ocr)} 个数值由 OCR 识别（标 OCR），置信度低于 {LOOK_BELOW:.0%} 的 {low} 个"
            + (f"，{held} 个待选定读法" if held else ""))


def _dialogs(store: Store, report: Report) -> None:
    dialog = st.session_state.get(act.DIALOG_KEY)
    if not isinstance(dialog, act.Dialog) or dialog.doc_id != report.doc.id:
        return
    if dialog.kind == "confirm":
        _confirm_dialog(store, report)
    elif dialog.kind == "reopen":
        _reopen_dialog(store, report, dialog)


@st.dialog("确认前：还有未处理的错误", width="large", on_dismiss=act.close_dialog)
def _confirm_dialog(store: Store, report: Report) -> None:
    errors = findings.open_errors(report.found)
    st.markdown(f"按当前（含修改后）的数值重新校验，仍有 **{len(errors)}** 个错误既未认定也未驳回。"
                "如确认报告原文如此，请为每个错误写明理由：它们将记为“认定为报告错误”。")
    for v in errors:
        st.markdown(f"{SEVERITY_ICONS[v.severity]} **{v.title}**" + (f"　`{v.equation}`" if v.equation else "")
                    + ("（修改后新出现）" if v.raised_by_edit else ""))
        st.text_input("理由", key=f"confirm_reason_{report.doc.id}_{v.id}", placeholder="例如：原件如此，已与报送单位核实",
                      label_visibility="collapsed")
    missing = st.session_state.get("confirm_missing")
    if missing:
        st.error("每个错误都需要理由：" + "；".join(missing))
    a, b = st.columns(2)
    a.button("记为报告错误并确认", key="confirm_dialog_ok", type="primary", width="stretch",
             on_click=act.confirm_with_reasons, args=(store, report.doc.id, errors))
    b.button("返回修改", key="confirm_dialog_cancel", width="stretch", on_click=act.close_dialog)


@st.dialog("这份报告已确认", on_dismiss=act.close_dialog)
def _reopen_dialog(store: Store, report: Report, dialog: act.Dialog) -> None:
    r = report.review
    assert dialog.key is not None
    changes = dialog.picked.values if dialog.picked is not None else ((dialog.key, dialog.value),)
    said = "；".join(f"{fv.cell_name(k)} {fv.number_text(report.values.get(k))} → {fv.number_text(n)}"
                    for k, n in changes)
    st.markdown(f"它由 **{r.reviewer}** 于 {local_time(r.confirmed_at)} 确认。保存这处修改"
                f"（{said}）会**撤销确认**，报告回到“待审核”。")

    def go_on() -> None:
        act.close_dialog()
        view = report.view(dialog.finding)
        if dialog.picked is not None and view is not None:
            act.apply_pick(store, report.doc.id, view, dialog.picked, report.found, report.keys)
        else:
            act.apply_edit(store, report.doc.id, dialog.key, dialog.value, dialog.reason, report.keys)  # type: ignore[arg-type]

    a, b = st.columns(2)
    a.button("保存修改并撤销确认", key="reopen_ok", type="primary", width="stretch", on_click=go_on)
    b.button("取消", key="reopen_cancel", width="stretch", on_click=act.close_dialog)


# -- the source and the edit box ---------------------------------------------------------------------------
def _source(store: Store, report: Report, place: P.Place, chosen: findings.FindingView | None) -> None:
    key = place.key
    if key is None:
        st.info("这份报告没有可显示的数值。")
        return
    ev = report.evidence(key)
    involved = [k for k in (chosen.finding.keys if chosen else []) if k != key]
    anchor = ev
    if ev is None:  # nothing extracted for this cell: show where its table is, so the reviewer can look
        table = key.split(".", 1)[0]
        anchor = next((e for k in report.keys if k.startswith(table + ".") and (e := report.evidence(k))), None)
    kind = "image" if report.result.document.type == "image" else report.doc.type  # the store keeps png, tif …
    if kind in ("pdf", "image") and anchor is not None and anchor.page and anchor.bbox:
        whole = st.session_state.get("review_whole_page", False)
        boxes = []
        for k in report.keys:
            e = report.evidence(k)
            if e is not None and e.page == anchor.page and e.bbox:
                boxes.append(Box(k, e.bbox, "focus" if k == key else "involved" if k in involved else "value",
                                 fv.cell_name(k)))
        png, scale = _page_image(report.doc.sha256, kind, report.doc.name, anchor.page,
                                 store.document_bytes(report.doc.id))
        crop = None
        if not whole:
            doc = state.get_document(store, report.doc.id)
            content = content_box([b.span.bbox for b in doc.blocks if b.span.page == anchor.page and b.span.bbox])
            marks = [Mark(anchor, True)] + [Mark(e, False) for k in involved if (e := report.evidence(k))
                                            and e.page == anchor.page and e.bbox]
            crop = crop_box(marks, content)
        a, b = st.columns([5, 1], vertical_alignment="center")
        what = f"红框：{fv.cell_name(key)}" + (f"（原文“{ev.text}”）" if ev else "（未提取到，显示同一表格）")
        where = "扫描件" if anchor.ocr is not None or kind == "image" else "原文"
        a.caption(f"{where}第 {anchor.page} 页　{what}　· 点击页面上的数字即可选中")
        b.toggle("整页", key="review_whole_page")
        components.clickable(page_html(png, crop, boxes, scale), key="review_page", on_select=act.select_key)
        elsewhere = [e for k in involved if (e := report.evidence(k)) and (e.page != anchor.page or not e.bbox)]
        elsewhere += [e for evs in (chosen.finding.evidence.values() if chosen else []) for e in evs[:1]
                      if e.kind == "prose"]
        if elsewhere:  # e.g. the narrative sentence a prose finding compares with the table
            doc = state.get_document(store, report.doc.id)
            st.caption("同一问题涉及的其他原文")
            st.html(text_excerpt_html(doc.text, [Mark(e, False) for e in elsewhere], before=80, after=160))
        return
    doc = state.get_document(store, report.doc.id)
    marks = [Mark(ev, True, key)] if ev else ([Mark(anchor, False)] if anchor else [])
    marks += [Mark(e, False, k) for k in involved if (e := report.evidence(k))]
    if chosen:
        marks += [Mark(e, False) for evs in chosen.finding.evidence.values() for e in evs[:1] if e.kind == "prose"]
    page = f"第 {anchor.page} 页　" if anchor and anchor.page else ""
    st.caption(f"{page}原文" + (f"（红色：{fv.cell_name(key)}）" if ev else "（此项未提取到，显示同一表格的原文）"))
    components.clickable(text_excerpt_html(doc.text, marks), key="review_text", on_select=act.select_key)


def _edit_box(store: Store, report: Report, place: P.Place, *, disabled: bool) -> None:
    key = place.key
    if key is None:
        return
    doc_id = report.doc.id
    ev = report.evidence(key)
    now = report.values.get(key)
    shown = fv.cell_text(key, report.values, report.result, report.edited)
    parts = [f"原文“{ev.text}”" if ev and ev.text else "未提取到", f"当前 {shown or '空'}"]
    if report.previous is not None and key in report.previous:
        parts.append(f"上年 {fv.number_text(report.previous[key])}")
    input_key = act.edit_key(doc_id, key)
    if input_key not in st.session_state:
        st.session_state[input_key] = "" if now is None else fv.number_text(now)
    with st.container(border=True, key="edit_box"):
        st.markdown(f"**修改：{fv.cell_name(key)}**　<small>{'　·　'.join(parts)}</small>", unsafe_allow_html=True)
        if ev is not None and ev.ocr is not None:
            _ocr_crop(store, report, key, ev)
        with st.form("edit_form", border=False, enter_to_submit=True):
            a, b = st.columns([1, 2], vertical_alignment="bottom")
            with a, st.container(key="edit_value"):
                st.text_input("新数值", key=input_key, disabled=disabled, help="清空或填“空”表示空白单元格（不是 0）")
            b.text_input("修改理由（可选）", key=f"edit_reason_{doc_id}", placeholder="例如：按原件更正",
                         disabled=disabled)
            st.form_submit_button("保存并到下一个（Enter）", type="primary", width="content", disabled=disabled,
                                  on_click=act.save_edit, args=(store, doc_id, key, _value_order(report, place)))
        st.selectbox("或从列表选择数值", report.keys, index=report.keys.index(key), key=f"pick_{doc_id}_{key}",
                     format_func=report.list_name, on_change=_picked, args=(f"pick_{doc_id}_{key}",))


def _ocr_crop(store: Store, report: Report, key: str, ev: Evidence, *, in_finding: bool = False) -> None:
    """The crop of the scan this value was read from, with how sure the engine was and its other readings."""
    src = ev.ocr
    assert src is not None
    held = report.held(key)
    low = src.confidence < LOOK_BELOW or (held is not None and held.open)
    lines = [f"扫描识别 · 置信度 {percent(src.confidence)}" + ("（偏低，请对照原图）" if low else "")]
    readings = [f"“{t}” {percent(p)}" for i, (t, p) in enumerate(src.readings) if t and (i == 0 or p >= MIN_ALTERNATIVE)]
    if len(readings) > 1:
        lines.append("识读结果：" + "、".join(readings[:4]))
    if held is not None and held.open and not in_finding:
        lines.append("这个数字待人工选定：在右侧问题中选择读法，或在下面输入原图上的数字")
    png = _crop_png(report.doc.sha256, report.doc.name, ev.model_dump_json(), store.document_bytes(report.doc.id))
    if png is None:
        st.caption(" · ".join(lines) + "（原图无法裁切）")
        return
    st.html(crop_html(png, lines, low=low))


def _picked(widget: str) -> None:
    act.select_key(st.session_state[widget])


def _value_order(report: Report, place: P.Place) -> list[str]:
    """Where Enter goes next: through the chosen finding's values, else through the form."""
    chosen = report.view(place.finding)
    if chosen is not None and place.key in chosen.finding.keys:
        return [k for k in report.keys if k in chosen.finding.keys]
    return report.keys


# -- findings ----------------------------------------------------------------------------------------------
def _status(v: findings.FindingView) -> str:
    if v.decision is not None:
        return f"【{DECISION_DONE[v.decision.decision]}】"
    if v.settled_by_edit:
        return "【修改后已消除】"
    if v.raised_by_edit:
        return "【修改后新出现】"
    return "【跨年度】" if v.cross_year else ""


def _findings(store: Store, report: Report, place: P.Place, chosen: findings.FindingView | None, *,
              disabled: bool) -> None:
    doc_id = report.doc.id
    open_n = sum(1 for v in report.found if v.open)
    st.markdown(f"**发现的问题（{len(report.found)}，未处理 {open_n}）**")
    if not report.found:
        st.success("规则未发现问题。")
        return
    with st.container(key="findings"):
        for i, v in enumerate(report.found, 1):
            label = f"{SEVERITY_ICONS[v.severity]} {i}. {_status(v)}{v.title}"
            st.button(label, key=f"finding_{v.id}", on_click=act.select_finding, args=(v, report.keys),
                      type="primary" if v is chosen else "secondary", width="stretch")
            if v is chosen:
                _finding_detail(store, doc_id, v, report, disabled=disabled)


def _finding_detail(store: Store, doc_id: int, v: findings.FindingView, report: Report, *, disabled: bool) -> None:
    with st.container(border=True, key="finding_detail"):
        f = v.finding
        if v.equation:
            st.markdown(f"**{v.equation}**　<small>{SEVERITY_LABELS[v.severity]}"
                        + ("（按修改后的数值）" if report.edits else "") + "</small>", unsafe_allow_html=True)
        st.caption(findings.rule_title(f.rule) + (f"（{f.detail['variant']}）" if f.detail.get("variant") else "")
                   if v.equation else findings.message(f))
        options = picks.choices(f)
        if v.settled_by_edit and not options:
            st.success("按修改后的数值重新校验，这个问题已不存在。")
        if v.decision is not None:
            d = v.decision
            st.info(f"{DECISION_DONE[d.decision]}（{d.who}，{local_time(d.created_at)}）" + (f"：{d.reason}" if d.reason
                                                                                          else ""))
        if options:
            _choices(store, report, v, options, disabled=disabled)
        else:
            st.button(f"{DECISION_ACTIONS['accepted']} (A)", key="finding_accept", width="content", disabled=disabled,
                      help="这是报告自身的错误：保留原数值，记录在案", type="primary" if v.open else "secondary",
                      on_click=act.decide, args=(store, doc_id, v, "accepted", report.found, report.keys))
        with st.form(f"dismiss_{v.id}", border=False, enter_to_submit=True):
            r, s = st.columns([3, 1], vertical_alignment="bottom")
            with r, st.container(key="finding_reason"):
                st.text_input("驳回理由", key=act.reason_key(doc_id, v.id), placeholder="驳回理由（必填），写完按 Enter",
                              label_visibility="collapsed", disabled=disabled)
            s.form_submit_button(f"{DECISION_ACTIONS['dismissed']} (D)", width="stretch", disabled=disabled,
                                 on_click=act.decide, args=(store, doc_id, v, "dismissed", report.found, report.keys))


def _choices(store: Store, report: Report, v: findings.FindingView, options: list[picks.Choice], *,
             disabled: bool) -> None:
    """A held cell's readings, the crop of the scan for a doubtful digit, and what a person picked."""
    f = v.finding
    held = picks.held_keys(f)
    if f.rule == "extract.ocr_doubtful" and held:
        ev = report.evidence(held[0])
        if ev is not None and ev.ocr is not None:
            _ocr_crop(store, report, held[0], ev, in_finding=True)
    given = [e for e in report.edits if e.key in held]
    if v.settled_by_edit and given:
        last = {e.key: e for e in given}
        st.success("已人工选定：" + "；".join(f"{fv.cell_name(k)} = {fv.number_text(e.new_value)}（{e.who}，"
                                             f"{local_time(e.created_at)}）" for k, e in last.items()))
    st.markdown("**选择与原图一致的读法**" + ("（或在左侧输入框中直接输入）" if len(held) == 1 else ""))
    cols = st.columns(min(len(options), 4 if len(held) == 1 else 2))
    for i, c in enumerate(options):
        cols[i % len(cols)].button(c.label, key=f"pick_reading_{i}", width="stretch", disabled=disabled,
                                   type="primary" if v.open and i == 0 else "secondary",
                                   on_click=act.pick, args=(store, report.doc.id, v, c, report.found, report.keys))


# -- the official form ---------------------------------------------------------------------------------------
def _forms(report: Report, place: P.Place, chosen: findings.FindingView | None) -> None:
    forms = report.forms
    tables = [f.table for f in forms]
    if len(forms) > 1:
        widget = f"table_{report.doc.id}"
        st.session_state[widget] = place.table if place.table in (*tables, "all") else tables[0]
        st.radio("表格", [*tables, "all"], key=widget, horizontal=True, label_visibility="collapsed",
                 format_func=TABLE_SHORT.__getitem__, on_change=lambda: P.go(table=st.session_state[widget]))
        forms = [f for f in forms if place.table in ("all", f.table)] or forms
    states = fv.cell_states(report.result, report.values, report.edited, report.decisions)
    involved = set(chosen.finding.keys) if chosen else set()
    body = fv.legend_html(ocr=bool(report.ocr)) + "".join(
        fv.form_html(f, report.result, report.values, states, report.edited, involved=involved, focus=place.key,
                     with_css=i == 0, previous=report.previous) for i, f in enumerate(forms))
    note = "灰色小字为上年报告的数值（橙色：与本年不同）。" if report.previous is not None else ""
    st.caption("点击表格中的数字即可在左侧原文中定位并修改。" + note)
    components.clickable(body, key="review_form", on_select=act.select_key)


def _years(report: Report) -> None:
    """This report against the same agency's reports of the year before and after, when the store has them."""
    count = sum(len(p.findings) for p in report.years.pairs)
    with st.expander(f"跨年度核对（{count}）" if report.years.pairs else "跨年度核对", expanded=False):
        if not report.years.pairs:
            st.caption("库中没有该机关相邻年度的报告，无法跨年度核对。")
        for p in report.years.pairs:
            ours = p.current.document.sha256 == report.doc.sha256
            st.markdown(f"**{p.previous.meta.year} → {p.current.meta.year}**　{p.previous.document.name} → "
                        f"{p.current.document.name}" + ("（问题已列入上方“发现的问题”）" if ours and p.findings else
                                                        "" if ours else "（在下一年度报告中处理）"))
            if not ours:
                for f in p.findings:
                    st.warning(f"{SEVERITY_ICONS[f.severity]} {f.message}")
            if not p.findings:
                st.success("上年结转、现行有效件数等跨年度关系一致。")


def _audit(store: Store, report: Report) -> None:
    doc_id = report.doc.id
    with st.expander("修改与审核记录"):
        rows = [{"时间": e.created_at, "审核人": e.who, "操作": "修改数值",
                 "内容": f"{fv.cell_name(e.key)}：{fv.number_text(e.old_value)} → {fv.number_text(e.new_value)}",
                 "理由": e.reason} for e in report.edits]
        rows += [{"时间": d.created_at, "审核人": d.who, "操作": DECISION_DONE[d.decision],
                  "内容": _decision_title(report, d), "理由": d.reason} for d in store.finding_decision_history(doc_id)]
        rows += [{"时间": e.created_at, "审核人": e.who,
                  "操作": f"{REVIEW_LABELS[e.old_state]} → {REVIEW_LABELS[e.new_state]}", "内容": "", "理由": e.note}
                 for e in store.review_events(doc_id)]
        if not rows:
            st.caption("暂无记录")
            return
        rows.sort(key=lambda r: r["时间"], reverse=True)
        for r in rows:
            r["时间"] = local_time(r["时间"], "%Y-%m-%d %H:%M:%S")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="review_audit")


def _decision_title(report: Report, d: FindingDecisionRow) -> str:
    v = next((v for v in report.found if finding_key_of(v.finding) == d.finding_key), None)
    return v.title if v is not None else findings.rule_title(d.rule)
