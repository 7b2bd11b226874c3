"""The page's few pieces of JavaScript, as Streamlit v2 components that answer back to Python.

- :func:`clickable` — trusted HTML (the official form, the PDF page with its value boxes) whose
  ``[data-key]`` elements select that value when clicked.
- :func:`keyboard` — the review page's keys: one listener on the document, dropped when the page
  goes away and added again when it comes back, silent while a text box has focus.
- :func:`call_route` — a ``fetch`` to one of the app's own routes (the session cookie, ui/asgi.py).

The HTML handed to :func:`clickable` is built by this package with every text escaped; nothing from
a report reaches it unescaped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

_CLICKABLE_JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector(':scope > .xx-root');
  if (!root) { root = document.createElement('div'); root.className = 'xx-root'; parentElement.appendChild(root); }
  root.innerHTML = data.html;
  root.querySelectorAll('[data-key]').forEach((el) => {
    el.addEventListener('click', (ev) => { ev.preventDefault(); setTriggerValue('select', el.dataset.key); });
  });
  if (data.scroll) {
    const focus = root.querySelector('.focus');
    if (focus && focus.scrollIntoView) focus.scrollIntoView({block: 'nearest', inline: 'nearest'});
  }
}
"""

_KEYBOARD_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  const w = window;
  const typing = (el) => !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
  const handler = (ev) => {
    if (ev.isComposing || ev.repeat) return;
    const el = document.activeElement;
    if (typing(el) || typing(ev.target)) {
      if (ev.key === 'Escape' && el && el.blur) el.blur();
      return;
    }
    const parts = [];
    if (ev.ctrlKey || ev.metaKey) parts.push('ctrl');
    if (ev.altKey) parts.push('alt');
    if (ev.shiftKey && ev.key.length > 1) parts.push('shift');
    parts.push(ev.key.toLowerCase());
    const combo = parts.join('+');
    const target = (data.focus_keys || {})[combo];
    if (target) {
      const box = document.querySelector(target);
      if (box) { ev.preventDefault(); box.focus(); if (box.select) box.select(); }
      return;
    }
    const action = (data.actions || {})[combo];
    if (!action) return;
    ev.preventDefault();
    setTriggerValue('action', action);
  };
  if (w.__xxgkKeys) document.removeEventListener('keydown', w.__xxgkKeys, true);
  w.__xxgkKeys = handler;
  document.addEventListener('keydown', handler, true);
  if (data.focus && data.focus_nonce !== w.__xxgkFocusNonce) {
    w.__xxgkFocusNonce = data.focus_nonce;
    const tryFocus = (n) => {
      const box = document.querySelector(data.focus);
      if (box) { box.focus(); if (box.select) box.select(); } else if (n > 0) setTimeout(() => tryFocus(n - 1), 60);
    };
    setTimeout(() => tryFocus(20), 30);
  }
  return () => {
    document.removeEventListener('keydown', handler, true);
    if (w.__xxgkKeys === handler) w.__xxgkKeys = null;
  };
}
"""

_ROUTE_JS = """
export default function(component) {
  const { data } = component;
  const w = window;
  w.__xxgkCalls = w.__xxgkCalls || {};
  if (w.__xxgkCalls[data.nonce]) return;
  w.__xxgkCalls[data.nonce] = true;
  fetch(data.path, {method: 'POST', credentials: 'same-origin',
                    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                    body: new URLSearchParams(data.form || {})}).catch(() => {});
}
"""

_clickable = st.components.v2.component("xxgk_clickable", js=_CLICKABLE_JS, isolate_styles=False)
_keyboard = st.components.v2.component("xxgk_keyboard", js=_KEYBOARD_JS, isolate_styles=False)
_route = st.components.v2.component("xxgk_route", js=_ROUTE_JS, isolate_styles=False)


def clickable(html: str, *, key: str, on_select: Callable[[str], None], scroll: bool = False) -> None:
    """Show ``html``; a click on an element with ``data-key`` calls ``on_select(that key)``."""
    def changed() -> None:
        got = getattr(st.session_state.get(key), "select", None)
        if isinstance(got, str) and got:
            on_select(got)

    _clickable(key=key, data={"html": html, "scroll": scroll}, on_select_change=changed)


def keyboard(actions: dict[str, str], *, on_action: Callable[[str], None], focus_keys: dict[str, str] | None = None,
             focus: str | None = None, focus_nonce: Any = None, key: str = "keyboard") -> None:
    """Bind ``{"j": "next_finding", "ctrl+enter": "confirm_next", …}``; ``focus_keys`` focus a box instead.

    ``focus`` (a CSS selector) is focused once per distinct ``focus_nonce``: after Enter saved a value,
    the input for the next one is ready to type into.
    """
    def changed() -> None:
        got = getattr(st.session_state.get(key), "action", None)
        if isinstance(got, str) and got in actions.values():
            on_action(got)

    _keyboard(key=key, data={"actions": actions, "focus_keys": focus_keys or {}, "focus": focus,
                             "focus_nonce": focus_nonce}, on_action_change=changed, height=0)


def call_route(path: str, form: dict[str, str] | None = None, *, nonce: str, key: str) -> None:
    """POST ``form`` to one of the app's routes from the browser, once per ``nonce``."""
    _route(key=key, data={"path": path, "form": form or {}, "nonce": nonce}, height=0)
