"""上传: files (or zip archives of them) become a job of the batch intake; the page follows its progress.

The files are extracted by worker processes (ui/jobs.py), not by this page: the page shows the job's
counts and each file's outcome as they come, and opens the first report once it is ready.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from extractor.store import JobRow, Store
from ui import jobs, state
from ui import place as P
from ui.views.common import EXTRACTOR_LABELS, flash, local_time, show_flash

ITEM_LABELS = {"queued": "⏳ 排队中", "running": "⚙️ 提取中", "done": "✅ 已提取", "failed": "❌ 失败",
               "skipped": "⏭ 跳过"}
JOB_LABELS = {"queued": "排队中", "running": "提取中", "done": "已完成", "failed": "失败", "cancelled": "已取消"}
NONCE_KEY = "upload_nonce"

_DROPZONE_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; font-size: 14px; }
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "或把文件拖到这里"; font-size: 14px; color: #4b5563; }
</style>"""


def _start(store: Store) -> None:
    key = f"upload_files_{st.session_state.get(NONCE_KEY, 0)}"
    files = st.session_state.get(key) or []
    if not files:
        flash("error", "请先选择文件")
        return
    job = jobs.submit(store, [(f.name, f.getvalue()) for f in files],
                      extractor=st.session_state.get("upload_extractor", "rules"), who=state.reviewer())
    st.session_state["upload_job"] = job.id
    st.session_state[NONCE_KEY] = st.session_state.get(NONCE_KEY, 0) + 1  # a fresh, empty uploader
    flash("success", f"已加入提取任务：{job.counts.total} 个文件")


def render(store: Store) -> None:
    st.header("上传报告")
    show_flash()
    limit = min(jobs.max_upload_mb(), int(st.get_option("server.maxUploadSize")))  # the smaller limit is the true one
    st.caption(f"可一次选择多个文件，也可上传 zip 压缩包（可含子文件夹和嵌套的压缩包）。单个文件不超过 {limit} MB。"
               "内容相同的文件只保存和提取一次。")
    st.html(_DROPZONE_CSS)
    st.file_uploader("选择文件：PDF、DOCX、HTML、TXT、MD，扫描件图片（PNG、JPEG、TIFF），或 zip", type=jobs.UPLOAD_TYPES,
                     accept_multiple_files=True, key=f"upload_files_{st.session_state.get(NONCE_KEY, 0)}")
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    c1.selectbox("提取方式", list(EXTRACTOR_LABELS), format_func=EXTRACTOR_LABELS.__getitem__, key="upload_extractor")
    c2.button("开始提取", type="primary", key="upload_start", on_click=_start, args=(store,), width="stretch")
    _progress(store)


def _progress(store: Store) -> None:
    mine = jobs.recent(store, state.reviewer())
    if not mine:
        return
    running = any(j.status in ("queued", "running") for j in mine)

    @st.fragment(run_every=1.0 if running else None)
    def follow() -> None:
        shown = jobs.recent(state.get_store(), state.reviewer())
        for job in shown[:3]:
            _job(store, job)
        if running and not any(j.status in ("queued", "running") for j in shown):
            st.rerun(scope="app")  # the job finished: redraw the page once, to stop polling

    follow()
    if not running:  # outside the fragment: opening a report redraws the whole app
        items = store.job_items(mine[0].id)
        ready = [it.document_id for it in items if it.document_id is not None and it.status in ("done", "skipped")
                 and store.latest_extraction(it.document_id) is not None]
        if ready:
            st.button("打开第一份进行审核", key="upload_open_first", on_click=P.open_report, args=(ready[0],),
                      type="primary")


def _job(store: Store, job: JobRow) -> None:
    c = job.counts
    with st.container(border=True, key=f"job_{job.id}"):
        st.markdown(f"**上传任务 {local_time(job.created_at)}**　{JOB_LABELS.get(job.status, job.status)}　"
                    f"共 {c.total} 个文件：已提取 {c.done}，跳过 {c.skipped}，失败 {c.failed}"
                    + (f"，处理中 {c.queued + c.running}" if c.queued + c.running else ""))
        st.progress(c.finished / c.total if c.total else 1.0)
        items = store.job_items(job.id)
        table = pd.DataFrame([{"文件": it.file_name.replace("!", " › "), "结果": ITEM_LABELS.get(it.status, it.status),
                               "说明": _reason(it.error), "编号": "" if it.document_id is None else str(it.document_id)}
                              for it in items])
        st.dataframe(table, hide_index=True, width="stretch", key=f"job_items_{job.id}")


def _reason(error: str | None) -> str:
    """The Chinese half of a bilingual one-line reason, with its detail (the file it duplicates, a limit …)."""
    if not error or " / " not in error:
        return error or ""
    zh, en = error.split(" / ", 1)
    if en.startswith("duplicate of "):
        return f"{zh}（与 {en[len('duplicate of '):]} 相同）"
    detail = en[en.find("(") + 1:en.rfind(")")] if "(" in en and en.endswith(")") else ""
    return f"{zh}（{detail}）" if detail else zh
