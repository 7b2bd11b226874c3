"""The cyclic garbage collector paused while one report is read and extracted.

Reading a report makes tens of thousands of small objects (a PDF's characters, the token stream, the
candidate readings) that reference counting frees as it goes. The cyclic collector, started every 700
new containers, walks them again and again and now and then walks the whole heap: about 6 % of reading
a 5-page PDF, 10 % of a generated report. Paused for one extraction, it runs again after it, and any
cycle the extraction left is collected then. Nesting and threads are safe: whoever found it running
turns it back on, so it is never left off by a pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the ``with`` block (left as it was found when it was off already)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


__all__ = ["paused"]
