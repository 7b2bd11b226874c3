"""审核队列: every extracted report with its review state and counts of findings; opens one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from extractor.store import REVIEW_LABELS, ReportRow, Store
from ui import state
from ui.views.common import template_label

ORDER_CHOICES: dict[str, str] = {"uploaded_at": "上传时间", "agency": "机关", "year": "年度", "n_error": "错误数",
                                 "state": "状态", "reviewed_at": "最近审核"}
ALL = "全部"


def render(store: Store) -> None:
    st.header("审核队列")
    everything = store.list_reports()
    counts = {s: sum(r.state == s for r in everything) for s in REVIEW_LABELS}
    cols = st.columns(4)
    cols[0].metric("报告总数", len(everything))
    for col, (s, label) in zip(cols[1:], REVIEW_LABELS.items()):
        col.metric(label, counts[s])

    f1, f2, f3, f4 = st.columns([2, 2, 1, 1])
    states = f1.multiselect("状态", list(REVIEW_LABELS), default=list(REVIEW_LABELS), format_func=REVIEW_LABELS.get,
                            key="queue_state")
    agencies = sorted({r.agency for r in everything if r.agency})
    agency = f2.selectbox("机关", [ALL, *agencies], key="queue_agency")
    years = sorted({r.year for r in everything if r.year}, reverse=True)
    year = f3.selectbox("年度", [ALL, *years], key="queue_year")
    template = f4.selectbox("模板", [ALL, "2008", "2019", "2021"], key="queue_template",
                            format_func=lambda t: t if t == ALL else template_label(t))
    g1, g2, g3 = st.columns([3, 2, 1])
    search = g1.text_input("搜索（文件名或机关）", key="queue_search")
    order_by = g2.selectbox("排序", list(ORDER_CHOICES), format_func=ORDER_CHOICES.__getitem__, key="queue_order_by")
    descending = g3.toggle("降序", value=True, key="queue_desc")

    rows = store.list_reports(state=states or list(REVIEW_LABELS), agency=None if agency == ALL else agency,
                              year=None if year == ALL else year, template=None if template == ALL else template,
                              search=search or None, order_by=order_by, descending=descending)
    st.session_state[state.ORDER_KEY] = [r.document_id for r in rows]
    if not rows:
        st.info("没有符合条件的报告。可在“上传”页上传报告。")
        return
    ids = [r.document_id for r in rows]

    def picked() -> None:
        sel = st.session_state["queue_table"].selection.rows
        if sel:
            state.open_report(ids[sel[0]])

    st.dataframe(_frame(rows), hide_index=True, width="stretch", key="queue_table", on_select=picked,
                 selection_mode="single-row",
                 column_config={"错误": st.column_config.NumberColumn(format="%d"),
                                "上传时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    st.caption("点击一行即可打开；也可在下方选择报告后按“打开”。")
    by_id = {r.document_id: r for r in rows}
    c1, c2 = st.columns([4, 1])
    pick = c1.selectbox("选择报告", ids, key="queue_pick", format_func=lambda i: _title(by_id[i]))
    c2.button("打开", type="primary", key="queue_open", on_click=state.open_report, args=(pick,),
              width="stretch")


def _title(r: ReportRow) -> str:
    return f"#{r.document_id} {r.agency or r.name} {r.year or ''}（{REVIEW_LABELS[r.state]}）"


def _frame(rows: list[ReportRow]) -> pd.DataFrame:
    return pd.DataFrame([{
        "编号": r.document_id, "状态": REVIEW_LABELS[r.state], "机关": r.agency or "", "年度": r.year,
        "模板": template_label(r.template), "错误": r.n_error, "警告": r.n_warning, "提示": r.n_info,
        "人工修改": r.n_edits, "文件": r.name, "提取器": r.extractor, "审核人": r.reviewer or "",
        "上传时间": r.uploaded_at,
    } for r in rows])
