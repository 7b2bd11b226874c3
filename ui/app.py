"""The review app's script: ``xxgk ui`` serves it through ui/asgi.py; Streamlit runs it on every rerun.

The app itself is ui/pages.py. This file only guards against being run where it must not: a worker
process that extracts uploads is started while some session's script runs, and Python's
multiprocessing then imports "the main module" — this file — in the worker as ``__mp_main__``;
there it must draw nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ != "__mp_main__":
    try:
        import ui  # noqa: F401
    except ImportError:  # started as a bare script without the package installed
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from ui.pages import run  # bootstrap

    run()
