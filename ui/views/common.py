"""Small helpers the pages share: one-shot messages set by callbacks, labels."""

from __future__ import annotations

import streamlit as st

FLASH_KEY = "flash"
TEMPLATE_LABELS: dict[str, str] = {"2008": "2008–2018 统计表", "2019": "2019 试行格式", "2021": "2021 格式"}
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
SEVERITY_ICONS: dict[str, str] = {"error": "🔴", "warning": "🟡", "info": "⚪"}


def flash(kind: str, text: str) -> None:
    """Queue a message from a callback; shown once at the top of the next run."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(text)


def template_label(t: str | None) -> str:
    return TEMPLATE_LABELS.get(t or "", "未识别")
