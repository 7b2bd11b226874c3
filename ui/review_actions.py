"""What the review page's buttons, keys and clicks do: each a callback that writes to the store and moves the place.

Every write carries the signed-in reviewer's name; every move goes through ``ui.place.go`` (ids,
never labels). A callback queues a one-line message and the page is drawn again from the store, so
what is shown is what is saved. Dialogs (confirming with open errors, editing a confirmed report) are
requested here and drawn by the page.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import streamlit as st

from extractor.reader.numbers import parse_cell
from extractor.store import Store, StoreError
from schemas import catalog
from schemas.results import Number
from ui import place as P
from ui import queue_model as qm
from ui import state
from ui.claims import CLAIMS
from ui.findings import FindingView
from ui.form_view import cell_name, number_text
from ui.picks import Choice
from ui.views.common import DECISION_DONE, flash

DIALOG_KEY = "review_dialog"
FOCUS_KEY = "review_focus_request"  # (CSS selector, nonce): the keyboard component focuses it once
EDIT_INPUT = ".st-key-edit_value input"
REASON_INPUT = ".st-key-finding_reason input"
QUEUE_FILTER_KEY = "queue_filter"
_NONCE = itertools.count(1)


@dataclass(frozen=True)
class Dialog:
    kind: str  # "confirm" (open errors need reasons) or "reopen" (an edit would undo a confirmation)
    doc_id: int
    key: str | None = None
    value: Number | None = None
    reason: str = ""
    picked: Choice | None = None  # a reading picked for a held cell (all its values are saved together)
    finding: str | None = None  # the id of the finding that held it


def request_focus(selector: str) -> None:
    st.session_state[FOCUS_KEY] = (selector, next(_NONCE))


def queue_filter() -> qm.QueueFilter:
    f = st.session_state.get(QUEUE_FILTER_KEY)
    return f if isinstance(f, qm.QueueFilter) else qm.QueueFilter()


# -- moving -----------------------------------------------------------------------------------------
def select_key(key: str) -> None:
    """Focus one value (from the form, the page or the list); the edit box beside the source takes it,
    ready to type into."""
    if key not in catalog.BY_KEY:
        return
    place = P.current()
    table = place.table if place.table == "all" else key.split(".", 1)[0]
    P.go(key=key, table=table)
    request_focus(EDIT_INPUT)


def select_finding(view: FindingView, form_keys: list[str]) -> None:
    first = next((k for k in view.finding.keys if k in form_keys), None)
    place = P.current()
    changes: dict[str, object] = {"finding": view.id}
    if first:
        changes["key"] = first
        changes["table"] = place.table if place.table == "all" else first.split(".", 1)[0]
    P.go(**changes)


def step_finding(found: list[FindingView], form_keys: list[str], delta: int) -> None:
    if not found:
        flash("info", "这份报告没有发现问题")
        return
    ids = [v.id for v in found]
    current = P.current().finding
    i = ids.index(current) + delta if current in ids else (0 if delta > 0 else len(ids) - 1)
    if not 0 <= i < len(ids):
        flash("info", "已经是第一个问题" if delta < 0 else "已经是最后一个问题")
        return
    select_finding(found[i], form_keys)


def step_report(doc_id: int, delta: int) -> None:
    order = qm.ids(state.get_store(), queue_filter())
    if doc_id in order:
        i = order.index(doc_id) + delta
        if 0 <= i < len(order):
            P.open_report(order[i])
            return
        flash("info", "已经是队列中的第一份" if delta < 0 else "已经是队列中的最后一份")
        return
    if order:
        P.open_report(order[0] if delta > 0 else order[-1])


def next_pending(store: Store, doc_id: int | None) -> bool:
    """Open the next pending report of the queue's filter that nobody else holds; False when none is left."""
    f = queue_filter()
    order = qm.ids(store, qm.QueueFilter(**{**f.__dict__, "states": ("pending",)}))
    doc = qm.next_after(order, doc_id, skip=set(CLAIMS.held_by_others(state.reviewer())))
    if doc is None:
        flash("success", "没有其他待审核的报告了")
        return False
    P.open_report(doc)
    return True


# -- deciding findings -------------------------------------------------------------------------------
def reason_key(doc_id: int, fid: str) -> str:
    return f"reason_{doc_id}_{fid}"


def decide(store: Store, doc_id: int, view: FindingView, decision: str, found: list[FindingView],
           form_keys: list[str]) -> None:
    """Accept a finding as the report's own error, or dismiss it with a reason; then on to the next open one."""
    reason = st.session_state.get(reason_key(doc_id, view.id), "").strip()
    if decision == "dismissed" and not reason:
        flash("error", "驳回需要填写理由：在理由框中写明后按 Enter")
        request_focus(REASON_INPUT)
        return
    try:
        store.decide_finding(doc_id, view.finding.rule, view.finding.keys, decision,  # type: ignore[arg-type]
                             who=state.reviewer(), reason=reason, live=view.live)
    except StoreError as exc:
        flash("error", f"无法保存：{exc}")
        return
    CLAIMS.claim(doc_id, state.reviewer())
    flash("success", f"{DECISION_DONE[decision]}：{view.title}")
    _next_open(view, found, form_keys)


def _next_open(view: FindingView, found: list[FindingView], form_keys: list[str]) -> None:
    """On from ``view`` to the next finding still open (``found`` as it was before ``view`` was answered)."""
    ids = [v.id for v in found]
    later = [v for v in found[ids.index(view.id) + 1:] + found[:ids.index(view.id)] if v.open and v.id != view.id]
    if later:
        select_finding(later[0], form_keys)


# -- editing values ----------------------------------------------------------------------------------
def edit_key(doc_id: int, key: str) -> str:
    return f"edit_value_{doc_id}_{key}"


def parse_value(text: str, key: str) -> Number | None:
    """The reviewer's input as a value: empty, 空 or — means blank; otherwise a number the key can hold."""
    text = text.strip()
    if text in ("", "空", "空白"):
        return None
    cell = parse_cell(text)
    if cell.status in ("blank", "dash", "slash"):
        return None
    if cell.status != "number" or cell.value is None:
        raise ValueError(f"“{text}”不是数字（清空表示空白）")
    spec = catalog.BY_KEY[key]
    value = cell.value
    if isinstance(value, float) and value.is_integer() and not spec.decimal:
        value = int(value)
    if isinstance(value, float) and not spec.decimal:
        raise ValueError(f"{spec.label} 应为整数")
    if value < 0 and not spec.signed:
        raise ValueError(f"{spec.label} 不能为负数")
    return value


def save_edit(store: Store, doc_id: int, key: str, order: list[str]) -> None:
    """Enter in the value box: save the value (asking first if the report is confirmed), then the next value."""
    raw = st.session_state.get(edit_key(doc_id, key), "")
    reason = st.session_state.get(f"edit_reason_{doc_id}", "").strip()
    try:
        value = parse_value(str(raw), key)
    except ValueError as exc:
        flash("error", str(exc))
        request_focus(EDIT_INPUT)
        return
    now = store.current_values(doc_id).get(key)
    if now == value and (now is None) == (value is None):  # unchanged: Enter just moves on
        _next_value(key, order)
        return
    if store.get_review(doc_id).state == "confirmed":
        st.session_state[DIALOG_KEY] = Dialog("reopen", doc_id, key, value, reason)
        return
    apply_edit(store, doc_id, key, value, reason, order)


def apply_edit(store: Store, doc_id: int, key: str, value: Number | None, reason: str, order: list[str]) -> None:
    if _record(store, doc_id, ((key, value),), reason) is not None:
        _next_value(key, order)


def _record(store: Store, doc_id: int, changes: tuple[tuple[str, Number | None], ...], reason: str) -> int | None:
    """Save each (key, value) as an edit by the reviewer; how many changed, None when the store refused."""
    saved = []
    for key, value in changes:
        try:
            row = store.record_edit(doc_id, key, value, reason=reason, who=state.reviewer())
        except StoreError as exc:
            flash("error", f"无法保存：{exc}")
            return None
        st.session_state.pop(edit_key(doc_id, key), None)
        if row is not None:
            saved.append(f"{cell_name(key)} {number_text(row.old_value)} → {number_text(value)}")
    CLAIMS.claim(doc_id, state.reviewer())
    if saved:
        flash("success", "已保存：" + "；".join(saved))
    return len(saved)


def pick(store: Store, doc_id: int, view: FindingView, choice: Choice, found: list[FindingView],
         form_keys: list[str]) -> None:
    """A reading picked for the cells a finding held back: an edit per cell, the reading as its reason.

    The finding is then settled (ui/picks.py) and the next open one chosen. A reading equal to what the
    cells already hold changes nothing, so it is recorded as the finding's answer instead.
    """
    if store.get_review(doc_id).state == "confirmed":
        key, value = choice.values[0]
        st.session_state[DIALOG_KEY] = Dialog("reopen", doc_id, key, value, choice.reason, picked=choice,
                                              finding=view.id)
        return
    apply_pick(store, doc_id, view, choice, found, form_keys)


def apply_pick(store: Store, doc_id: int, view: FindingView, choice: Choice, found: list[FindingView],
               form_keys: list[str]) -> None:
    changed = _record(store, doc_id, choice.values, choice.reason)
    if changed is None:
        return
    if changed == 0:
        st.session_state[reason_key(doc_id, view.id)] = choice.reason
        decide(store, doc_id, view, "dismissed", found, form_keys)
        return
    _next_open(view, found, form_keys)


def _next_value(key: str, order: list[str]) -> None:
    if key in order and order.index(key) + 1 < len(order):
        select_key(order[order.index(key) + 1])
    else:
        request_focus(EDIT_INPUT)


# -- the report's state -------------------------------------------------------------------------------
def confirm_next(store: Store, doc_id: int, open_errors: list[FindingView]) -> None:
    """Confirm the report as it now stands and open the next pending one; open errors first need reasons."""
    if store.get_review(doc_id).state == "confirmed":
        next_pending(store, doc_id)
        return
    if open_errors:
        st.session_state[DIALOG_KEY] = Dialog("confirm", doc_id)
        return
    confirm(store, doc_id)


def confirm(store: Store, doc_id: int, *, then_next: bool = True) -> None:
    try:
        store.set_review_state(doc_id, "confirmed", who=state.reviewer())
    except StoreError as exc:
        flash("error", f"无法确认：{exc}")
        return
    CLAIMS.release(doc_id, state.reviewer())
    flash("success", f"已确认（审核人：{state.reviewer()}）")
    if then_next:
        next_pending(state.get_store(), doc_id)


def confirm_with_reasons(store: Store, doc_id: int, open_errors: list[FindingView]) -> None:
    """The confirm dialog's answer: each open error recorded as the report's own, with its reason; then confirm."""
    reasons = {v.id: st.session_state.get(f"confirm_reason_{doc_id}_{v.id}", "").strip() for v in open_errors}
    missing = [v.title for v in open_errors if not reasons[v.id]]
    if missing:
        st.session_state["confirm_missing"] = missing
        return
    for v in open_errors:
        store.decide_finding(doc_id, v.finding.rule, v.finding.keys, "accepted", who=state.reviewer(),
                             reason=reasons[v.id], live=v.live)
    st.session_state.pop(DIALOG_KEY, None)
    confirm(store, doc_id)


def return_report(store: Store, doc_id: int) -> None:
    note = st.session_state.get(f"return_note_{doc_id}", "").strip()
    if not note:
        flash("error", "退回需要写明原因")
        return
    store.set_review_state(doc_id, "returned", who=state.reviewer(), note=note)
    CLAIMS.release(doc_id, state.reviewer())
    flash("warning", f"已退回：{note}")
    next_pending(store, doc_id)


def take_over(doc_id: int) -> None:
    CLAIMS.claim(doc_id, state.reviewer(), take_over=True)
    flash("info", "已接手这份报告")


def close_dialog() -> None:
    st.session_state.pop(DIALOG_KEY, None)
    st.session_state.pop("confirm_missing", None)
