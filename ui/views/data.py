"""数据: the confirmed values across reports — filtered, a page at a time, charted, downloadable.

Built to stay under a second per visit and per filter change with 10,000 reports in the store
(``benchmarks/ui_bench.py``): the sums and counts run over one small summary per confirmed report,
kept by the server and read again only for reports that changed (ui/queries.py); the table is read
one page at a time and cached under the store's version; the downloads and the checks across
reports run only when asked for.
"""

from __future__ import annotations

import io

import altair as alt
import pandas as pd
import streamlit as st

from extractor.exports import MEDIA_TYPES, confirmed_export
from extractor.similar import similar_in_store
from extractor.similar import to_csv as similar_csv
from extractor.store import Store
from extractor.years import check_store
from extractor.years import to_csv as years_csv
from schemas import catalog
from schemas.labels import COLUMN_LABELS, SEVERITY_LABELS, template_label
from ui import queries as q
from ui import state
from ui.findings import rule_title
from ui.form_view import cell_name
from ui.views.common import local_time, timezone

ALL = "全部"
PAGE_SIZE = 50
TABLES: dict[str, str] = {"t3": "表三 · 依申请公开", "t2": "表二 · 主动公开", "t4": "表四 · 复议诉讼", "old": "统计表（2008–2018）"}


# -- one page of the table (cached under the store's version) ---------------------------------------------
@st.cache_data(show_spinner=False, max_entries=128)
def _rows(url: str, version: tuple[int, ...], doc_ids: tuple[int, ...], table: str) -> pd.DataFrame:
    keys = _table_keys(table)
    rows = q.confirmed_rows(state.get_store(), doc_ids, keys)
    frame = pd.DataFrame(rows, columns=[*q.META, *keys])
    frame = frame.drop(columns=[k for k in keys if frame[k].isna().all()])
    frame["confirmed_at"] = [local_time(t) for t in frame["confirmed_at"]]
    frame["template"] = [template_label(t) for t in frame["template"]]
    frame["year"] = ["" if pd.isna(y) else str(int(y)) for y in frame["year"]]
    return frame.rename(columns={**COLUMN_LABELS, **{k: cell_name(k) for k in keys}})


def _table_keys(table: str) -> list[str]:
    return [fs.key for fs in catalog.FIELDS if fs.key.startswith(table + ".")]


# -- exports -------------------------------------------------------------------------------------------
def confirmed_download(store: Store, kind: str, *, agency: str | None = None, year: int | None = None,
                       template: str | None = None) -> bytes:
    """The confirmed data of the filters as every confirmed-data export writes it (``confirmed_export``: the
    headers the official labels, text cells never formulas), the times in the office's zone."""
    rows = [r.model_copy(update={"confirmed_at": r.confirmed_at.astimezone(timezone())}) if r.confirmed_at else r
            for r in store.confirmed_values(agency=agency, year=year, template=template)]
    return confirmed_export(kind, rows, labels=True)


# -- page ----------------------------------------------------------------------------------------------
def render(store: Store) -> None:
    st.header("已确认数据")
    url, version = state.store_url(), q.store_version(store)
    summaries = state.summaries(store)
    facets = q.facets(summaries)
    if not summaries:
        st.info("还没有已确认的报告。在“审核”页确认报告后，其数值会出现在这里。")
        _across_reports(store, version)
        return
    c = st.columns([1, 2, 1.4, 1.6])
    first_page = lambda: st.session_state.pop("data_page", None)  # a new filter starts at page 1
    year = c[0].selectbox("年度", [ALL, *facets["year"]], key="data_year", on_change=first_page)
    agency = c[1].selectbox("机关", [ALL, *facets["agency"]], key="data_agency", on_change=first_page)
    template = c[2].selectbox("模板", [ALL, *facets["template"]], key="data_template", on_change=first_page,
                              format_func=lambda t: t if t == ALL else template_label(t))
    table = c[3].selectbox("表格", list(TABLES), format_func=TABLES.__getitem__, key="data_table_choice")
    f = q.DataFilter(year=None if year == ALL else int(year), agency=None if agency == ALL else agency,
                     template=None if template == ALL else template)
    rows = q.chosen(summaries, f)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    if int(st.session_state.get("data_page", 1)) > pages:  # the store shrank under this page
        st.session_state.pop("data_page", None)
    page = int(st.session_state.get("data_page", 1))
    st.caption(f"{len(rows)} 份已确认报告（按机关、年度排序），第 {page} / {pages} 页，每页 {PAGE_SIZE} 份。"
               "列名为官方表格中的项目名称。")
    shown = tuple(s.document_id for s in rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])
    st.dataframe(_rows(url, version, shown, table), hide_index=True, width="stretch", key="data_table")
    if pages > 1:
        st.pagination(pages, key="data_page", max_visible_pages=9)
    d1, d2, _ = st.columns([1, 1, 3])
    d1.download_button("下载 CSV（全部筛选结果）", lambda: confirmed_download(
        store, "csv", agency=f.agency, year=f.year, template=f.template), "xxgk-confirmed.csv", MEDIA_TYPES["csv"],
        key="data_csv", width="stretch", on_click="ignore")  # a download needs no rerun of the page
    d2.download_button("下载 Excel（全部筛选结果）", lambda: confirmed_download(
        store, "xlsx", agency=f.agency, year=f.year, template=f.template), "xxgk-confirmed.xlsx",
        MEDIA_TYPES["xlsx"], key="data_xlsx", width="stretch", on_click="ignore")
    # one year's outcomes per agency: the chosen year, else the latest (summing years would mean nothing)
    outcomes_year = f.year if f.year is not None else facets["year"][0] if facets["year"] else None
    _charts_section(summaries, f, outcomes_year)
    _across_reports(store, version)


def _charts_section(summaries: list[q.ReportSummary], f: q.DataFilter, outcomes_year: int | None) -> None:
    charts = {"received": q.received_by_year(summaries, f), "rules": q.findings_by_rule(summaries, f),
              "outcomes": q.outcomes_by_agency(summaries, q.DataFilter(year=outcomes_year, agency=f.agency,
                                                                       template=f.template))}
    st.subheader("一览")
    g1, g2 = st.columns(2)
    with g1:
        st.markdown("**各年度收到的政府信息公开申请数**（已确认报告合计" + (f"，{f.agency}" if f.agency else "") + "）")
        received = pd.DataFrame(charts["received"], columns=["年度", "申请数", "报告数"])
        if received.empty:
            st.caption("没有数据")
        else:
            received["年度"] = received["年度"].astype(str)
            st.altair_chart(alt.Chart(received).mark_bar(color="#1d4ed8").encode(
                x=alt.X("年度:N", title="年度"), y=alt.Y("申请数:Q", title="收到申请数（件）"),
                tooltip=[alt.Tooltip("年度:N", title="年度"), alt.Tooltip("申请数:Q", title="申请数", format=",.0f"),
                         alt.Tooltip("报告数:Q", title="报告数")]).properties(height=260), width="stretch")
    with g2:
        st.markdown("**各规则发现的问题数**（已确认报告，已驳回的不计）")
        rules = pd.DataFrame([(rule_title(r), n) for r, n in charts["rules"]], columns=["规则", "问题数"])
        if rules.empty:
            st.caption("没有问题")
        else:
            rules["规则"] = [t if len(t) <= 30 else t[:29] + "…" for t in rules["规则"]]
            st.altair_chart(alt.Chart(rules.head(15)).mark_bar(color="#b91c1c").encode(
                y=alt.Y("规则:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
                x=alt.X("问题数:Q", title="问题数", axis=alt.Axis(format="d", tickMinStep=1)),
                tooltip=[alt.Tooltip("规则:N", title="规则"), alt.Tooltip("问题数:Q", title="问题数")]
            ).properties(height=max(160, 26 * min(15, len(rules)) + 40)), width="stretch")
    which = f"{outcomes_year} 年度" + ("" if f.year is not None else "（最近一年；可在上方选择年度）")
    st.markdown(f"**依申请公开办理结果（按机关，{which}，办理量最多的 15 个）**")
    outcomes = pd.DataFrame(charts["outcomes"])
    if outcomes.empty:
        st.caption("没有数据")
        return
    long = outcomes.melt(id_vars="机关", var_name="办理结果", value_name="件数")
    labels = [o[0] for o in q.OUTCOMES]
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        y=alt.Y("机关:N", sort=list(outcomes["机关"]), title=None, axis=alt.Axis(labelLimit=300)),
        x=alt.X("件数:Q", title="件数", stack=True, axis=alt.Axis(format="d")),
        color=alt.Color("办理结果:N", title="办理结果", sort=labels,
                        scale=alt.Scale(domain=labels, range=["#16a34a", "#84cc16", "#dc2626", "#f59e0b", "#94a3b8"])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("机关:N", title="机关"), alt.Tooltip("办理结果:N", title="办理结果"),
                 alt.Tooltip("件数:Q", title="件数", format=",.0f")],
    ).transform_calculate(order=f"indexof({labels!r}, datum['办理结果'])").properties(
        height=max(160, 30 * len(outcomes) + 60)), width="stretch")


@st.cache_data(show_spinner=False, max_entries=8)
def _cross(url: str, version: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return cross_year_frame(state.get_store()), similar_frame(state.get_store())


def cross_year_frame(store: Store) -> pd.DataFrame:
    """Every cross-year finding in the store (latest extractions, reviewers' edits applied), one row each."""
    return pd.read_csv(io.StringIO(years_csv(check_store(store))), dtype=str).fillna("")


def similar_frame(store: Store) -> pd.DataFrame:
    """Pairs of different agencies' reports in the store with nearly the same narrative."""
    return pd.read_csv(io.StringIO(similar_csv(similar_in_store(store))), dtype=str).fillna("")


def _across_reports(store: Store, version: tuple[int, ...]) -> None:
    """Checks that need several reports: each agency year against year, and copies between agencies."""
    st.subheader("跨报告核对（库中全部报告）")
    url = state.store_url()
    ran = st.session_state.get("data_cross_version") == version
    if not ran:
        st.caption("逐一比较库中全部报告：同一机关相邻两年（上年结转、现行有效件数、照搬上年），以及不同机关的正文雷同。"
                   "报告很多时需要几秒。")
        st.button("运行跨报告核对", key="data_cross_run",
                  on_click=lambda: st.session_state.update({"data_cross_version": version}))
        return
    years, alike = _cross(url, version)
    st.markdown(f"**跨年度核对：{len(years)} 个问题**（同一机关相邻两年：上年结转、现行有效件数、表格或正文照搬等）")
    if not years.empty:
        shown = years.copy()
        shown["rule"] = [rule_title(r) for r in shown["rule"]]
        shown["severity"] = shown["severity"].map(SEVERITY_LABELS).fillna("")
        st.dataframe(shown.rename(columns=COLUMN_LABELS), hide_index=True, width="stretch", key="data_years")
        st.download_button("下载跨年度核对 CSV", years.to_csv(index=False).encode("utf-8-sig"), "xxgk-years.csv",
                           "text/csv", key="data_years_csv", on_click="ignore")
    st.markdown(f"**不同机关正文雷同：{len(alike)} 对**（正文字符四元组相同 85% 以上，不计数字）")
    if not alike.empty:
        st.dataframe(alike.rename(columns=COLUMN_LABELS), hide_index=True, width="stretch", key="data_similar")
