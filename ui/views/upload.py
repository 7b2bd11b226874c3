"""上传: files (or a zip of them) in, each report extracted and put in the review queue."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

import pandas as pd
import streamlit as st

from extractor.store import Store
from ui import state
from ui.uploads import EXTRACTORS, UPLOAD_TYPES, Outcome, expand, ingest, max_bytes

RESULTS_KEY = "upload_outcomes"
DONE_KEY = "upload_done"  # (name, size, sha) -> outcome: a run cut short by a rerun does not redo (or misreport) files


def render(store: Store) -> None:
    st.header("上传报告")
    st.caption(f"可一次选择多个文件，或上传 zip 压缩包。单个文件不超过 {max_bytes() // 1024 // 1024} MB。"
               "同一文件（内容相同）只提取一次。")
    files = st.file_uploader("选择文件（PDF、DOCX、HTML、TXT 或 zip）", type=UPLOAD_TYPES, accept_multiple_files=True,
                             key="upload_files")
    extractor = st.selectbox("提取方式", list(EXTRACTORS), format_func=EXTRACTORS.__getitem__, key="upload_extractor")
    if st.button("开始提取", type="primary", key="upload_start", disabled=not files):
        _run(store, files or [], extractor)
    outcomes = [Outcome(**o) for o in st.session_state.get(RESULTS_KEY, [])]
    if outcomes:
        ok = [o for o in outcomes if o.ok]
        failed = [o for o in outcomes if not o.ok and not o.skipped]
        st.subheader(f"结果：成功 {len(ok)} 份，失败 {len(failed)} 份")
        table = pd.DataFrame([{"文件": o.name, "结果": "✅ 成功" if o.ok else ("⏭ 跳过" if o.skipped else "❌ 失败"),
                               "说明": o.message, "问题数": o.n_findings if o.ok else None} for o in outcomes])
        st.dataframe(table, hide_index=True, width="stretch", key="upload_table")
        for o in failed:
            st.error(f"{o.name}：{o.message}")
        if ok:
            first = ok[0].doc_id
            st.button("打开第一份进行审核", key="upload_open", on_click=state.open_report, args=(first,))


def _run(store: Store, files: list, extractor: str) -> None:
    items: list = []
    for f in files:
        items.extend(expand(f.name, f.getvalue()))
    bar = st.progress(0.0, text="准备中…")
    done: dict[str, dict] = st.session_state.setdefault(DONE_KEY, {})
    outcomes: list[Outcome] = []
    for i, item in enumerate(items, 1):
        if isinstance(item, Outcome):
            outcomes.append(item)
        else:
            name, data = item
            bar.progress((i - 1) / len(items), text=f"正在提取 {i}/{len(items)}：{name}")
            key = f"{name}|{extractor}|{hashlib.sha256(data).hexdigest()}"
            if key not in done:
                done[key] = asdict(ingest(store, name, data, extractor=extractor, who=state.reviewer()))
            outcomes.append(Outcome(**done[key]))
        bar.progress(i / len(items), text=f"已完成 {i}/{len(items)}")
    bar.progress(1.0, text=f"全部完成：{len(items)} 个文件")
    st.session_state[RESULTS_KEY] = [asdict(o) for o in outcomes]
    st.session_state.pop(state.ORDER_KEY, None)
