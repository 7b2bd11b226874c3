"""Small helpers the pages share: one-shot messages set by callbacks, the words and the clock shown.

Every name a reviewer reads is Chinese and said one way: a decision is 认定为报告错误 or 驳回 everywhere,
an extractor is 规则 / 大模型 / 规则＋大模型, a time is local (Asia/Shanghai unless ``$XXGK_UI_TIMEZONE``).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from extractor.settings import settings

FLASH_KEY = "flash"
SEVERITY_ICONS: dict[str, str] = {"error": "🔴", "warning": "🟡", "info": "⚪"}
EXTRACTOR_LABELS: dict[str, str] = {"rules": "规则（表格阅读器）", "llm": "大模型", "hybrid": "规则＋大模型核对"}
DECISION_ACTIONS: dict[str, str] = {"accepted": "认定为报告错误", "dismissed": "驳回"}  # the buttons
DECISION_DONE: dict[str, str] = {"accepted": "已认定为报告错误", "dismissed": "已驳回"}  # the state afterwards
DEFAULT_TIMEZONE = "Asia/Shanghai"


def flash(kind: str, text: str) -> None:
    """Queue a message from a callback; shown once at the top of the next run."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(text)


def extractor_label(name: str | None) -> str:
    return EXTRACTOR_LABELS.get(name or "", name or "")


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def timezone() -> ZoneInfo:
    """The reviewers' time zone: ``$XXGK_UI_TIMEZONE`` (an IANA name), default Asia/Shanghai."""
    return _zone(settings().ui.timezone or DEFAULT_TIMEZONE)


def local_time(when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time as the office reads it; blank for none."""
    if when is None:
        return ""
    return when.astimezone(timezone()).strftime(fmt)


def text(value: object) -> str:
    """A cell for a table a person reads: nothing for None, never the word None."""
    return "" if value is None else str(value)
