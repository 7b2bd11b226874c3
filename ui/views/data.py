"""数据: the confirmed values across reports, filtered, downloadable, with a few charts."""

from __future__ import annotations

import io
from collections import Counter

import pandas as pd
import streamlit as st

from extractor.store import CONFIRMED_META_COLUMNS, Store
from schemas import catalog
from ui.views.common import template_label

ALL = "全部"
META_LABELS: dict[str, str] = {
    "document_id": "编号", "sha256": "SHA-256", "name": "文件", "agency": "机关", "year": "年度", "template": "模板",
    "extractor": "提取器", "extraction_id": "提取版本", "reviewer": "审核人", "confirmed_at": "确认时间",
}
# 依申请 outcomes: (label, keys for the new templates, keys for the 2008 table)
OUTCOMES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("予以公开", ("t3.予以公开.总计",), ("old.答复.已主动公开", "old.答复.同意公开")),
    ("部分公开", ("t3.部分公开.总计",), ("old.答复.部分公开",)),
    ("不予公开", ("t3.不予公开.总计",), ("old.答复.不同意公开",)),
    ("无法提供", ("t3.无法提供.总计",), ("old.答复.非本机关", "old.答复.信息不存在")),
    ("其他", ("t3.不予处理.总计", "t3.其他处理.总计"), ("old.答复.更改补充", "old.答复.其他途径", "old.答复.其他类型")),
)
OUTCOME_COLORS = ["#16a34a", "#84cc16", "#dc2626", "#f59e0b", "#94a3b8"]
RECEIVED = ("t3.本年新收.总计", "old.收到申请数")
HIDDEN_IN_TABLE = ("sha256", "extractor", "extraction_id")


def confirmed_frame(store: Store, *, agency: str | None = None, year: int | None = None,
                    template: str | None = None) -> pd.DataFrame:
    """One row per confirmed report: meta columns, then every key in catalog order."""
    rows = store.confirmed_values(agency=agency, year=year, template=template)
    order = {f.key: i for i, f in enumerate(catalog.FIELDS)}
    keys = sorted({k for r in rows for k in r if k not in CONFIRMED_META_COLUMNS}, key=lambda k: order.get(k, 10**6))
    return pd.DataFrame(rows, columns=[*CONFIRMED_META_COLUMNS, *keys])


def _group_total(row: pd.Series, key: str) -> float | None:
    """A t3 group total, summed from its items when the report prints no subtotal row."""
    v = row.get(key)
    if v is not None and not pd.isna(v):
        return float(v)
    table, group, col = key.split(".", 2) if key.count(".") >= 2 else (None, None, None)
    if table != "t3":
        return None
    items = [f"t3.{r.id}.{col}" for r in catalog.rows("t3") if r.group == group]
    got = [row.get(k) for k in items if k in row and row.get(k) is not None and not pd.isna(row.get(k))]
    return float(sum(got)) if got else None


def outcomes_by_agency(frame: pd.DataFrame) -> pd.DataFrame:
    out = []
    for _, row in frame.iterrows():
        entry: dict[str, object] = {"机关": row["agency"] or row["name"]}
        for label, new_keys, old_keys in OUTCOMES:
            keys = old_keys if row["template"] == "2008" else new_keys
            vals = [_group_total(row, k) for k in keys]
            entry[label] = sum(v for v in vals if v is not None)
        out.append(entry)
    if not out:
        return pd.DataFrame(columns=["机关", *[o[0] for o in OUTCOMES]])
    return pd.DataFrame(out).groupby("机关", as_index=False).sum()


def received_by_year(frame: pd.DataFrame) -> pd.DataFrame:
    got: Counter[int] = Counter()
    for _, row in frame.iterrows():
        if pd.isna(row["year"]):
            continue
        v = next((row.get(k) for k in RECEIVED if k in row and row.get(k) is not None and not pd.isna(row.get(k))), None)
        if v is not None:
            got[int(row["year"])] += float(v)
    return pd.DataFrame({"年度": [str(y) for y in sorted(got)], "收到申请数": [got[y] for y in sorted(got)]})


def findings_by_rule(store: Store, doc_ids: list[int] | None = None) -> pd.DataFrame:
    counts: Counter[str] = Counter()
    for ext in store.latest_extractions(doc_ids).values():
        counts.update(f.rule for f in ext.result.findings)
    return pd.DataFrame({"规则": list(counts), "问题数": list(counts.values())}).sort_values("问题数", ascending=False)


def excel_bytes(frame: pd.DataFrame) -> bytes:
    """The values sheet plus a 字段说明 sheet with each key's official label and unit."""
    buf = io.BytesIO()
    keys = [c for c in frame.columns if c in catalog.BY_KEY]
    legend = pd.DataFrame({"字段": keys, "名称": [catalog.BY_KEY[k].label for k in keys],
                           "单位": [catalog.BY_KEY[k].unit for k in keys]})
    out = frame.copy()
    if "confirmed_at" in out:
        out["confirmed_at"] = pd.to_datetime(out["confirmed_at"]).dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        out.to_excel(xw, sheet_name="已确认数据", index=False)
        legend.to_excel(xw, sheet_name="字段说明", index=False)
    return buf.getvalue()


YEARS_LABELS = {"agency": "机关", "previous_year": "上一年度", "year": "年度", "previous_file": "上一年度文件",
                "file": "文件", "rule": "规则", "severity": "级别", "message": "说明", "keys": "涉及字段",
                "expected": "应为", "actual": "实为"}
SIMILAR_LABELS = {"similarity": "相同比例", "file": "文件", "agency": "机关", "year": "年度", "other_file": "另一文件",
                  "other_agency": "另一机关", "other_year": "另一年度"}


def cross_year_frame(store: Store) -> pd.DataFrame:
    """Every cross-year finding in the store (latest extractions, reviewers' edits applied), one row each."""
    from extractor.years import check_store, to_csv

    return pd.read_csv(io.StringIO(to_csv(check_store(store))), dtype=str).fillna("")


def similar_frame(store: Store) -> pd.DataFrame:
    """Pairs of different agencies' reports in the store with nearly the same narrative."""
    from extractor.similar import similar_in_store, to_csv

    return pd.read_csv(io.StringIO(to_csv(similar_in_store(store))), dtype=str).fillna("")


def _across_reports(store: Store) -> None:
    """Checks that need several reports: each agency year against year, and copies between agencies."""
    st.subheader("跨报告核对（库中全部报告）")
    years = cross_year_frame(store)
    st.markdown(f"**跨年度核对：{len(years)} 个问题**（同一机关相邻两年：上年结转、现行有效件数、表格或正文照搬等）")
    if not years.empty:
        st.dataframe(years.rename(columns=YEARS_LABELS), hide_index=True, width="stretch", key="data_years")
        st.download_button("下载跨年度核对 CSV", years.to_csv(index=False).encode("utf-8-sig"), "xxgk-years.csv",
                           "text/csv", key="data_years_csv")
    alike = similar_frame(store)
    st.markdown(f"**不同机关正文雷同：{len(alike)} 对**（正文字符四元组相同 85% 以上，不计数字）")
    if not alike.empty:
        st.dataframe(alike.rename(columns=SIMILAR_LABELS), hide_index=True, width="stretch", key="data_similar")


def render(store: Store) -> None:
    st.header("已确认数据")
    everything = confirmed_frame(store)
    if everything.empty:
        st.info("还没有已确认的报告。在“审核”页确认报告后，其数值会出现在这里。")
        _across_reports(store)
        return
    c1, c2, c3 = st.columns(3)
    years = sorted({int(y) for y in everything["year"].dropna()}, reverse=True)
    year = c1.selectbox("年度", [ALL, *years], key="data_year")
    agency = c2.selectbox("机关", [ALL, *sorted({a for a in everything["agency"].dropna()})], key="data_agency")
    template = c3.selectbox("模板", [ALL, *sorted({t for t in everything["template"].dropna()})], key="data_template",
                            format_func=lambda t: t if t == ALL else template_label(t))
    frame = confirmed_frame(store, agency=None if agency == ALL else agency, year=None if year == ALL else year,
                            template=None if template == ALL else template)
    frame = frame.dropna(axis=1, how="all").reindex(columns=[c for c in frame.columns if c in CONFIRMED_META_COLUMNS
                                                             or frame[c].notna().any()])
    st.caption(f"{len(frame)} 份报告，{sum(c in catalog.BY_KEY for c in frame.columns)} 个字段。列名为字段键，"
               "名称与单位见 Excel 的“字段说明”表。")
    shown = frame.drop(columns=[c for c in HIDDEN_IN_TABLE if c in frame.columns])
    st.dataframe(shown.rename(columns=META_LABELS), hide_index=True, width="stretch", key="data_table")
    d1, d2, _ = st.columns([1, 1, 3])
    d1.download_button("下载 CSV", frame.to_csv(index=False).encode("utf-8-sig"), "xxgk-confirmed.csv", "text/csv",
                       key="data_csv", width="stretch")
    d2.download_button("下载 Excel", excel_bytes(frame), "xxgk-confirmed.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="data_xlsx",
                       width="stretch")

    st.subheader("一览")
    g1, g2 = st.columns(2)
    with g1:
        st.markdown("**各规则发现的问题数（所选报告的最新提取）**")
        by_rule = findings_by_rule(store, [int(i) for i in frame["document_id"]])
        if by_rule.empty:
            st.caption("没有问题")
        else:
            st.bar_chart(by_rule, x="规则", y="问题数", horizontal=True, color="#b91c1c",
                         height=max(160, 34 * len(by_rule) + 60))
    with g2:
        st.markdown("**依申请公开办理结果（按机关）**")
        outcomes = outcomes_by_agency(frame)
        st.bar_chart(outcomes, x="机关", y=[o[0] for o in OUTCOMES], color=OUTCOME_COLORS, stack=True,
                     horizontal=True, height=max(160, 34 * len(outcomes) + 90))
    st.markdown("**各年度收到的政府信息公开申请数（已确认报告合计）**")
    st.bar_chart(received_by_year(everything if year == ALL else frame), x="年度", y="收到申请数", color="#1d4ed8",
                 height=260)
    _across_reports(store)
