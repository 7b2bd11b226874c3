"""Keyboard shortcuts for buttons: a key combination clicks the button with that widget key.

Streamlit has no key bindings of its own; a zero-height same-origin iframe adds one keydown listener
to the app's document (once per browser tab) and updates the key map on every run. Older Streamlit
without ``st.iframe`` falls back to the ``streamlit-shortcuts`` package.
"""

from __future__ import annotations

import json

import streamlit as st

_JS = """<script>
(function () {
  const w = window.parent, d = w.document;
  w.__xxgkKeys = %s;
  if (w.__xxgkKeysBound) return;
  w.__xxgkKeysBound = true;
  d.addEventListener("keydown", function (ev) {
    const parts = [];
    if (ev.ctrlKey || ev.metaKey) parts.push("ctrl");
    if (ev.altKey) parts.push("alt");
    if (ev.shiftKey) parts.push("shift");
    parts.push(ev.key.toLowerCase());
    const combo = parts.join("+");
    for (const [key, combos] of Object.entries(w.__xxgkKeys || {})) {
      if (!combos.includes(combo)) continue;
      const button = d.querySelector(".st-key-" + key + " button");
      if (button && !button.disabled) { ev.preventDefault(); button.click(); }
      return;
    }
  }, true);
})();
</script>"""


def bind(**shortcuts: str) -> None:
    """``bind(review_next="alt+arrowright")``: the combination clicks the button whose key is review_next."""
    keymap = {key: [combo.lower()] for key, combo in shortcuts.items()}
    if hasattr(st, "iframe"):
        st.iframe(_JS % json.dumps(keymap), height=1)
        return
    try:
        from streamlit_shortcuts import add_shortcuts
    except ImportError:  # a convenience only: the buttons work without it
        return
    add_shortcuts(**shortcuts)
