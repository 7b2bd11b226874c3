"""审核: one report — the source on the left, the official form on the right, findings, edits, decision.

Every action is a widget callback that writes to the store with the signed-in reviewer's name and
queues a one-line message; the page is then redrawn from the store, so what is shown is what is saved.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from extractor.store import DECISION_LABELS, REVIEW_LABELS, Store, StoreError, finding_key_of
from schemas import catalog
from schemas.results import Evidence, Finding, Result
from ui import form_view as fv
from ui import shortcuts, state
from ui.recheck import recheck
from ui.source_view import Mark, content_box, crop_box, outline, render_page, text_excerpt_html
from ui.views.common import SEVERITY_ICONS, SEVERITY_LABELS, flash, show_flash, template_label

FOCUS_KEY = "review_focus"
FINDING_KEY = "review_finding"
TABLE_KEY = "review_table"
ALL_TABLES = "全部"
TABLE_SHORT: dict[str, str] = {"t2": "表二 · 主动公开", "t3": "表三 · 依申请公开", "t4": "表四 · 复议诉讼", "old": "统计表"}
NO_FINDING = -1
SCALE = 2.0


@st.cache_data(show_spinner=False, max_entries=64)
def _page_png(sha256: str, page: int, _data: bytes) -> bytes:
    return render_page(_data, page, SCALE)


def fid(f: Finding) -> str:
    """A short, stable widget-key part for a finding (its rule and keys)."""
    return hashlib.sha1(finding_key_of(f).encode()).hexdigest()[:10]


# -- callbacks ------------------------------------------------------------------------------------
def _go(doc_id: int) -> None:
    state.open_report(doc_id)
    for k in (FOCUS_KEY, FINDING_KEY, TABLE_KEY, "review_return_note"):
        st.session_state.pop(k, None)


def _step(order: list[int], doc_id: int, delta: int) -> None:
    if doc_id not in order:
        return
    i = order.index(doc_id) + delta
    if 0 <= i < len(order):
        _go(order[i])
    else:
        flash("info", "已经是第一份" if delta < 0 else "已经是最后一份")


def _confirm(store: Store, doc_id: int, open_errors: int = 0) -> None:
    try:
        store.set_review_state(doc_id, "confirmed", who=state.reviewer())
        flash("success", f"已确认（审核人：{state.reviewer()}）")
        if open_errors:
            flash("warning", f"注意：确认时仍有 {open_errors} 个错误未处理（未认定也未驳回）")
    except StoreError as exc:
        flash("error", f"无法确认：{exc}")


def _return(store: Store, doc_id: int) -> None:
    note = st.session_state.get("review_return_note", "").strip()
    store.set_review_state(doc_id, "returned", who=state.reviewer(), note=note)
    flash("warning", "已退回" + (f"：{note}" if note else ""))


def _decide(store: Store, doc_id: int, f: Finding, decision: str) -> None:
    reason = st.session_state.get(f"find_reason_{fid(f)}", "").strip()
    if decision == "dismissed" and not reason:
        flash("error", "驳回问题需要填写理由")
        return
    store.decide_finding(doc_id, f.rule, f.keys, decision, who=state.reviewer(), reason=reason,  # type: ignore[arg-type]
                         live=f.kind == "cross_year")
    flash("success", f"{f.rule}：{DECISION_LABELS[decision]}")


def _decision(store: Store, doc_id: int, f: Finding, d) -> None:
    """The finding's decision so far, and the buttons to accept it or dismiss it with a reason."""
    if d:
        when = d.created_at.strftime("%Y-%m-%d %H:%M")
        st.info(f"{DECISION_LABELS[d.decision]}（{d.who}，{when}）" + (f"：{d.reason}" if d.reason else ""))
    h = fid(f)
    a, r, b = st.columns([1.3, 2.2, 1])
    a.button("认定为报告错误", key=f"find_accept_{h}", on_click=_decide, args=(store, doc_id, f, "accepted"),
             width="stretch")
    r.text_input("驳回理由", key=f"find_reason_{h}", placeholder="驳回理由（必填）", label_visibility="collapsed")
    b.button("驳回", key=f"find_dismiss_{h}", on_click=_decide, args=(store, doc_id, f, "dismissed"),
             width="stretch")


def _focus_from_finding(findings: list[Finding], keys: list[str]) -> None:
    i = st.session_state.get(FINDING_KEY, NO_FINDING)
    if i is None or i == NO_FINDING or i >= len(findings):
        return
    first = next((k for k in findings[i].keys if k in keys), None)
    if first:
        st.session_state[FOCUS_KEY] = first
        _table_from_focus()


def _table_from_focus() -> None:
    """Show the table the focused value sits in (unless the reviewer asked for all tables)."""
    focus = st.session_state.get(FOCUS_KEY)
    if focus and st.session_state.get(TABLE_KEY) != ALL_TABLES:
        st.session_state[TABLE_KEY] = focus.split(".", 1)[0]


# -- page -----------------------------------------------------------------------------------------
def render(store: Store) -> None:
    order: list[int] = st.session_state.get(state.ORDER_KEY) or [r.document_id for r in store.list_reports()]
    doc_id = st.session_state.get(state.DOC_KEY)
    if doc_id is None:
        pending = [r.document_id for r in store.list_reports(state="pending", order_by="uploaded_at", descending=False)]
        doc_id = (pending or order or [None])[0]
        if doc_id is None:
            st.info("还没有报告。请先在“上传”页上传。")
            return
        st.session_state[state.DOC_KEY] = doc_id
    extraction = store.latest_extraction(doc_id)
    if extraction is None:
        st.warning("这份文件还没有提取结果。")
        return
    doc = store.get_document(doc_id)
    result = extraction.result
    values = store.current_values(doc_id)
    edits = store.edits(doc_id)
    edited = {e.key for e in edits}
    decisions = store.finding_decisions(doc_id)
    review = store.get_review(doc_id)
    forms = fv.forms(result)
    form_keys = [k for f in forms for k in f.value_keys()]
    keys = form_keys  # every printed cell, extracted or not: a missed cell is what a reviewer must fill

    _header(store, doc_id, doc.name, result, review, order, decisions)
    show_flash()

    findings = result.findings
    if st.session_state.get(FOCUS_KEY) not in keys:
        with_evidence = [k for k in keys if _evidence(result, k)]
        st.session_state[FOCUS_KEY] = next((k for f in findings for k in f.keys if k in keys),
                                           (with_evidence or keys)[0])
    tables = [f.table for f in forms]
    if st.session_state.get(TABLE_KEY) not in (*tables, ALL_TABLES):
        focus_table = st.session_state[FOCUS_KEY].split(".")[0]
        st.session_state[TABLE_KEY] = focus_table if focus_table in tables else tables[0]
    left, right = st.columns([1.1, 1], gap="medium")
    gone: set[str] = set()
    new: list[Finding] = []
    if edits:
        gone, new = recheck(result, values, state.get_document(store, doc_id).text)
    with right:
        chosen = _findings(store, doc_id, findings, decisions, keys, gone, new)
        _years(store, doc_id, result.with_values(values), decisions)
    focus = st.session_state[FOCUS_KEY]
    involved = set(chosen.keys) if chosen else set()
    with left:
        _source(store, doc_id, doc.sha256, doc.type, result, focus, chosen, keys)
    with right:
        _forms(store, doc_id, result, forms, values, edited, decisions, involved, focus)
        _audit(store, doc_id)


def _header(store: Store, doc_id: int, name: str, result: Result, review, order: list[int],
            decisions: dict) -> None:
    m = result.meta
    pos = f"{order.index(doc_id) + 1} / {len(order)}" if doc_id in order else ""
    st.subheader(f"{m.agency or name}　{m.year or '?'} 年度报告")
    badge = {"pending": "🟠", "confirmed": "🟢", "returned": "🔴"}[review.state]
    open_errors = sum(1 for f in result.findings if f.severity == "error" and fv.is_open(f, decisions))
    st.caption(f"{badge} {REVIEW_LABELS[review.state]}" + (f"（{review.reviewer}）" if review.reviewer else "")
               + f"　｜　文件：{name}　｜　模板：{template_label(m.template)}　｜　提取器：{result.extractor}"
               + f"　｜　待处理错误：{open_errors}　｜　队列位置：{pos}")
    c = st.columns([1, 1, 1.3, 2.2, 1])
    c[0].button("◀ 上一份", key="review_prev", help="快捷键 Alt+←", on_click=_step, args=(order, doc_id, -1),
                width="stretch")
    c[1].button("下一份 ▶", key="review_next", help="快捷键 Alt+→", on_click=_step, args=(order, doc_id, 1),
                width="stretch")
    c[2].button("✔ 确认无误", key="review_confirm", type="primary", help="快捷键 Ctrl+Enter", on_click=_confirm,
                args=(store, doc_id, open_errors), width="stretch", disabled=review.state == "confirmed")
    c[3].text_input("退回说明", key="review_return_note", placeholder="退回说明（可选）", label_visibility="collapsed")
    c[4].button("退回", key="review_return", on_click=_return, args=(store, doc_id), width="stretch",
                disabled=review.state == "returned")
    shortcuts.bind(review_prev="alt+arrowleft", review_next="alt+arrowright", review_confirm="ctrl+enter")


def _findings(store: Store, doc_id: int, findings: list[Finding], decisions: dict, keys: list[str],
              gone: set[str], new: list[Finding]) -> Finding | None:
    st.markdown(f"**发现的问题（{len(findings)}）**")
    for f in new:
        st.warning(f"修改后新出现的问题（{f.rule}）：{f.message}")
    if not findings:
        st.success("规则未发现问题")
        return None
    labels = {NO_FINDING: "（不选）"}
    for i, f in enumerate(findings):
        d = decisions.get(finding_key_of(f))
        done = f"【{DECISION_LABELS[d.decision]}】" if d else "【修改后已消除】" if finding_key_of(f) in gone else ""
        labels[i] = f"{SEVERITY_ICONS[f.severity]} {i + 1}. {done}{f.message[:60]}{'…' if len(f.message) > 60 else ''}"
    if st.session_state.get(FINDING_KEY) not in labels:
        st.session_state[FINDING_KEY] = NO_FINDING
    i = st.radio("选择问题以在表格和原文中定位", list(labels), format_func=labels.__getitem__, key=FINDING_KEY,
                 on_change=_focus_from_finding, args=(findings, keys), label_visibility="collapsed")
    chosen = findings[i] if i is not None and i != NO_FINDING else None
    for n, f in enumerate(findings):
        with st.expander(f"{SEVERITY_ICONS[f.severity]} {n + 1}. {SEVERITY_LABELS[f.severity]} · {f.rule}",
                         expanded=f is chosen):
            st.markdown(f.message)
            st.caption("涉及：" + "、".join(fv.cell_name(k) for k in f.keys))
            if finding_key_of(f) in gone:
                st.success("按修改后的数值重新校验，此问题已不存在")
            _decision(store, doc_id, f, decisions.get(finding_key_of(f)))
    return chosen


def _years(store: Store, doc_id: int, result: Result, decisions: dict) -> None:
    """This report against the same agency's reports of the year before and after, when the store has them.

    Findings against the year before belong to this report and are settled here like the others; those
    against the year after belong to that report and are shown only.
    """
    from extractor.years import neighbours

    near = neighbours(store, result)
    count = sum(len(p.findings) for p in near.pairs)
    title = f"跨年度核对（{count}）" if near.pairs else "跨年度核对"
    with st.expander(title, expanded=count > 0):
        if not near.pairs:
            st.caption("库中没有该机关相邻年度的报告，无法跨年度核对。")
        for p in near.pairs:
            ours = p.current is result
            st.markdown(f"**{p.previous.meta.year} → {p.current.meta.year}**　{p.previous.document.name} → "
                        f"{p.current.document.name}" + ("" if ours else "　（在下一年度报告中处理）"))
            for f in p.findings:
                d = decisions.get(finding_key_of(f)) if ours else None
                st.warning(f"{SEVERITY_ICONS[f.severity]} " + (f"【{DECISION_LABELS[d.decision]}】" if d else "")
                           + f.message)
                if ours:
                    _decision(store, doc_id, f, d)
            if not p.findings:
                st.success("上年结转、现行有效件数等跨年度关系一致")


def _evidence(result: Result, key: str) -> Evidence | None:
    v = result.values.get(key) or result.prose_values.get(key)
    return v.evidence[0] if v and v.evidence else None


def _source(store: Store, doc_id: int, sha: str, kind: str, result: Result, focus: str,
            chosen: Finding | None, keys: list[str]) -> None:
    a, b = st.columns([4, 1], vertical_alignment="bottom")
    a.selectbox("定位数值", keys, key=FOCUS_KEY, on_change=_table_from_focus,
                format_func=fv.cell_name)
    whole = b.toggle("整页", key="review_whole_page", help="显示整页而不是所选单元格附近")
    ev = _evidence(result, focus)
    label = fv.cell_name(focus)
    anchor = ev
    marks = [Mark(ev, True)] if ev else []
    if ev is None:  # nothing extracted for this cell: show where its table is, so the reviewer can look
        table = focus.split(".", 1)[0]
        anchor = next((e for k in keys if k.startswith(table + ".") and (e := _evidence(result, k))), None)
        marks = [Mark(anchor, False)] if anchor else []
        st.info(f"“{label}”未提取到数值（报告可能未印出此项，或由人工补充）"
                + ("，下面显示同一表格的原文。" if anchor else "。"))
    if chosen:
        for evs in chosen.evidence.values():
            marks.extend(Mark(e, False) for e in evs[:1] if e != ev)
    if kind == "pdf" and anchor is not None and anchor.page and anchor.bbox:
        page_marks = [m for m in marks if m.evidence.page == anchor.page]
        png = _page_png(sha, anchor.page, store.document_bytes(doc_id))
        box = None
        if not whole:
            doc = state.get_document(store, doc_id)
            content = content_box([b.span.bbox for b in doc.blocks if b.span.page == anchor.page and b.span.bbox])
            box = crop_box(page_marks, content)
        img = outline(png, page_marks, SCALE, crop=box)
        what = f"红框：{label}（原文 “{ev.text}”）" if ev else "橙框：同一表格中已提取的单元格"
        st.image(img, caption=f"第 {anchor.page} 页　{what}", width="stretch")
        elsewhere = [m for m in marks if m.evidence.page != anchor.page or not m.evidence.bbox]
        if elsewhere:  # e.g. the narrative sentence a prose finding compares with the table
            doc = state.get_document(store, doc_id)
            pages = sorted({m.evidence.page for m in elsewhere if m.evidence.page})
            st.caption("同一问题涉及的其他原文" + (f"（第 {'、'.join(map(str, pages))} 页）" if pages else ""))
            st.html(text_excerpt_html(doc.text, elsewhere, before=80, after=160))
        return
    doc = state.get_document(store, doc_id)
    page = f"第 {anchor.page} 页　" if anchor and anchor.page else ""
    said = "，正文中的表述" if ev is not None and ev.kind == "prose" else ""
    st.caption(f"{page}原文" + (f"（高亮：{label}{said}）" if ev else ""))
    st.html(text_excerpt_html(doc.text, marks))


def _forms(store: Store, doc_id: int, result: Result, forms: list[fv.FormTable], values: dict, edited: set[str],
           decisions: dict, involved: set[str], focus: str) -> None:
    states = fv.cell_states(result, values, edited, decisions)
    names = {f.table: TABLE_SHORT.get(f.table, f.title) for f in forms}
    if len(forms) > 1:
        st.radio("表格", [*names, ALL_TABLES], key=TABLE_KEY, horizontal=True, label_visibility="collapsed",
                 format_func=lambda t: names.get(t, "全部表格"))
        chosen = st.session_state.get(TABLE_KEY, ALL_TABLES)
        forms = [f for f in forms if chosen in (ALL_TABLES, f.table)]
    view, edit = st.tabs(["官方表格", "修改数值"])
    with view:
        st.html(fv.legend_html() + "".join(
            fv.form_html(f, result, values, states, edited, involved=involved, focus=focus, with_css=i == 0)
            for i, f in enumerate(forms)))
    with edit:
        st.caption("直接在表格中修改数值（清空单元格表示空白），填写理由后保存。每次修改都会记录审核人和时间。")
        frames = {}
        for f in forms:
            st.markdown(f"**{f.title}**")
            frames[f.table] = st.data_editor(
                fv.editor_frame(f, values), key=f"editor_{f.table}", hide_index=True, width="stretch",
                disabled=[fv.LABEL_COLUMN, "单位"], num_rows="fixed",
                column_config={fv.LABEL_COLUMN: st.column_config.TextColumn(width="large")})
        reason = st.text_input("修改理由", key="edit_reason", placeholder="例如：表格印刷错误，按正文更正")
        if st.button("保存修改", type="primary", key="edit_save"):
            changes = [(k, v) for f in forms for k, v in fv.changed_cells(f, frames[f.table], values)]
            if not changes:
                st.info("没有需要保存的修改")
            else:
                for key, new in changes:
                    store.record_edit(doc_id, key, new, reason=reason.strip(), who=state.reviewer())
                for f in forms:
                    st.session_state.pop(f"editor_{f.table}", None)
                flash("success", f"已保存 {len(changes)} 处修改："
                      + "、".join(f"{fv.cell_name(k)} → {'空白' if v is None else v}" for k, v in changes))
                st.rerun()


def _audit(store: Store, doc_id: int) -> None:
    with st.expander("修改与审核记录"):
        rows = [{"时间": e.created_at, "审核人": e.who, "操作": "修改数值",
                 "内容": f"{catalog.BY_KEY[e.key].label}：{e.old_value} → {e.new_value}", "理由": e.reason}
                for e in store.edits(doc_id)]
        rows += [{"时间": d.created_at, "审核人": d.who, "操作": DECISION_LABELS[d.decision], "内容": d.rule,
                  "理由": d.reason} for d in store.finding_decision_history(doc_id)]
        rows += [{"时间": e.created_at, "审核人": e.who, "操作": f"{REVIEW_LABELS[e.old_state]} → {REVIEW_LABELS[e.new_state]}",
                  "内容": "", "理由": e.note} for e in store.review_events(doc_id)]
        if not rows:
            st.caption("暂无记录")
            return
        frame = pd.DataFrame(rows).sort_values("时间", ascending=False)
        st.dataframe(frame, hide_index=True, width="stretch", key="review_audit",
                     column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
