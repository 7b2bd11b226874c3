"""审核队列: the reports to review, filtered, in a stated order, a page at a time; opens one.

The filter is one typed value (ui/queue_model.QueueFilter) kept for the session: the review page's
上一份 / 下一份 / 下一份待审核 walk the same list in the same order. Counts of findings are the open
ones. Reports another reviewer holds are marked and skipped by 下一份待审核. Reports with no
findings at all can be confirmed in bulk, after the list of them is shown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from extractor.store import REVIEW_LABELS, Store
from schemas.labels import template_label
from ui import place as P
from ui import queue_model as qm
from ui import review_actions as act
from ui import state
from ui.claims import CLAIMS
from ui.queries import store_version
from ui.views.common import extractor_label, flash, local_time, show_flash

ALL = "全部"
PAGE_SIZE = 50
BULK_KEY = "queue_bulk"


@st.cache_data(show_spinner=False, ttl=600, max_entries=8)
def _facets(url: str, version: tuple[int, ...]) -> dict[str, list]:
    return qm.facets(state.get_store())


def _filter_from_widgets() -> None:
    ss = st.session_state
    pick = lambda k: None if ss.get(k) in (None, ALL) else ss.get(k)
    states = tuple(ss.get("queue_states") or ())
    year = pick("queue_year")
    ss[act.QUEUE_FILTER_KEY] = qm.QueueFilter(
        states=states, agency=pick("queue_agency"), year=int(year) if year is not None else None,
        template=pick("queue_template"), extractor=pick("queue_extractor"), errors=ss.get("queue_errors", "any"),
        search=(ss.get("queue_search") or "").strip(), order=ss.get("queue_order", "uploaded_at"),
        descending=bool(ss.get("queue_desc", False)))
    ss.pop("queue_page", None)  # a new filter starts at page 1


def _widgets_from_filter(f: qm.QueueFilter) -> None:
    """The widgets show the session's filter (set before they are drawn, so they never disagree)."""
    ss = st.session_state
    ss["queue_states"] = list(f.states)
    ss["queue_agency"] = f.agency or ALL
    ss["queue_year"] = f.year if f.year is not None else ALL
    ss["queue_template"] = f.template or ALL
    ss["queue_extractor"] = f.extractor or ALL
    ss["queue_errors"] = f.errors
    ss["queue_search"] = f.search
    ss["queue_order"] = f.order
    ss["queue_desc"] = f.descending


def render(store: Store) -> None:
    st.header("审核队列")
    show_flash()
    f = act.queue_filter()
    _widgets_from_filter(f)
    facets = _facets(state.store_url(), store_version(store))
    c = st.columns([2.2, 2, 1, 1.2, 1.3, 1.6])
    c[0].multiselect("状态", list(REVIEW_LABELS), format_func=REVIEW_LABELS.get, key="queue_states",
                     on_change=_filter_from_widgets)
    c[1].selectbox("机关", [ALL, *facets["agency"]], key="queue_agency", on_change=_filter_from_widgets)
    c[2].selectbox("年度", [ALL, *facets["year"]], key="queue_year", on_change=_filter_from_widgets)
    c[3].selectbox("模板", [ALL, *facets["template"]], key="queue_template", on_change=_filter_from_widgets,
                   format_func=lambda t: t if t == ALL else template_label(t))
    c[4].selectbox("提取方式", [ALL, *facets["extractor"]], key="queue_extractor", on_change=_filter_from_widgets,
                   format_func=lambda x: x if x == ALL else extractor_label(x))
    c[5].selectbox("错误", list(qm.ERROR_FILTERS), key="queue_errors", format_func=qm.ERROR_FILTERS.get,
                   on_change=_filter_from_widgets)
    g = st.columns([3, 2, 1])
    g[0].text_input("搜索（文件名或机关）", key="queue_search", on_change=_filter_from_widgets)
    g[1].selectbox("排序", list(qm.ORDERS), format_func=qm.ORDERS.get, key="queue_order",
                   on_change=_filter_from_widgets)
    g[2].toggle("倒序", key="queue_desc", on_change=_filter_from_widgets)

    order = qm.ids(store, f)
    held = CLAIMS.held_by_others(state.reviewer())
    pages = max(1, -(-len(order) // PAGE_SIZE))
    if int(st.session_state.get("queue_page", 1)) > pages:
        st.session_state.pop("queue_page", None)
    current = int(st.session_state.get("queue_page", 1))
    st.caption(f"共 {len(order)} 份，顺序：{f.describe()}。“打开第一份”打开的就是下表第一行。")
    b = st.columns([1.2, 1.4, 2, 3])
    b[0].button("打开第一份", key="queue_open_first", type="primary", disabled=not order,
                on_click=P.open_report, args=(order[0] if order else 0,), width="stretch")
    b[1].button("下一份待审核", key="queue_next_pending", on_click=act.next_pending, args=(store, None),
                width="stretch")
    b[2].button("批量确认无问题的报告…", key="queue_bulk_open", on_click=lambda: st.session_state.update({BULK_KEY: True}),
                width="stretch")
    if st.session_state.get(BULK_KEY):
        _bulk_dialog(store, f)
    if not order:
        st.info("没有符合条件的报告。可在“上传”页上传报告，或改变筛选条件。")
        return
    rows = qm.rows_for(store, order[(current - 1) * PAGE_SIZE:current * PAGE_SIZE])
    ids = [r.document_id for r in rows]

    def picked() -> None:
        sel = st.session_state["queue_table"].selection.rows
        if sel:
            P.open_report(ids[sel[0]])

    st.dataframe(_frame(rows, held, (current - 1) * PAGE_SIZE), hide_index=True, width="stretch", key="queue_table",
                 on_select=picked, selection_mode="single-row",
                 column_config={"未处理错误": st.column_config.NumberColumn(format="%d"),
                                "未处理警告": st.column_config.NumberColumn(format="%d")})
    if pages > 1:
        st.pagination(pages, key="queue_page", max_visible_pages=9)
    st.caption("点击一行即可打开审核。")


def _frame(rows: list[qm.QueueRow], held: dict, start: int) -> pd.DataFrame:
    return pd.DataFrame([{
        "序号": start + i, "编号": r.document_id, "状态": REVIEW_LABELS[r.state],
        "机关": r.agency or "", "年度": "" if r.year is None else str(r.year), "模板": template_label(r.template),
        "未处理错误": r.open_error, "未处理警告": r.open_warning, "人工修改": r.n_edits, "文件": r.name,
        "提取方式": extractor_label(r.extractor), "审核人": r.reviewer or "",
        "正在审核": held[r.document_id].who if r.document_id in held else "",
        "上传时间": local_time(r.uploaded_at),
    } for i, r in enumerate(rows, 1)])


@st.dialog("批量确认：没有任何问题的报告", width="large", on_dismiss=lambda: st.session_state.pop(BULK_KEY, None))
def _bulk_dialog(store: Store, f: qm.QueueFilter) -> None:
    f = qm.QueueFilter(**{**f.__dict__, "states": ("pending",)})
    held = CLAIMS.held_by_others(state.reviewer())
    candidates = [r for r in qm.rows_for(store, qm.ids(store, f))
                  if r.n_error == r.n_warning == r.n_info == 0 and r.n_edits == 0 and r.document_id not in held]
    if not candidates:
        st.info("当前筛选中没有“待审核、无任何问题、无人工修改、无人正在审核”的报告。")
        st.button("关闭", key="bulk_close", on_click=lambda: st.session_state.pop(BULK_KEY, None))
        return
    st.markdown(f"下面 **{len(candidates)}** 份待审核报告，规则没有发现任何问题，也没有人工修改。"
                "确认后，它们的数值将以你的名义记为已确认。")
    st.dataframe(pd.DataFrame([{"编号": r.document_id, "机关": r.agency or "", "年度": "" if r.year is None else str(r.year),
                                "文件": r.name} for r in candidates]), hide_index=True, width="stretch", key="bulk_list")

    def go() -> None:
        who = state.reviewer()
        for r in candidates:
            store.set_review_state(r.document_id, "confirmed", who=who, note="批量确认：无任何问题")
        st.session_state.pop(BULK_KEY, None)
        flash("success", f"已批量确认 {len(candidates)} 份报告")

    a, b = st.columns(2)
    a.button(f"确认这 {len(candidates)} 份", key="bulk_ok", type="primary", on_click=go, width="stretch")
    b.button("取消", key="bulk_cancel", on_click=lambda: st.session_state.pop(BULK_KEY, None), width="stretch")
