"""Test helpers for the review UI: the app served as `xxgk ui` serves it, and reports made from the seed."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT, SEED_TXT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(folder: Path, env: dict[str, str] | None = None, *, timeout: float = 90) -> Iterator[int]:
    """`streamlit run ui/asgi.py` as `xxgk ui` runs it, on a free loopback port; yields the port."""
    from ui.launch import streamlit_command

    port = free_port()
    cmd = streamlit_command(["--server.port", str(port), "--server.headless", "true"])
    log_path = folder / f"server-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.3)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def add_seed_report(store, agency: str, year: int, *, who: str = "张三", received: int | None = 233,
                    findings: bool = True, confirm: bool = False) -> int:
    """The seed stored as another agency's report of another year (its own bytes), optionally edited and
    confirmed; ``findings=False`` stores it with none."""
    import extractor

    data = SEED_TXT.read_bytes() + f"\n{agency}{year}".encode()
    result = extractor.extract(data, name=f"{agency}-{year}.txt")
    result = result.model_copy(update={"meta": result.meta.model_copy(update={"agency": agency, "year": year})})
    if not findings:
        result = result.model_copy(update={"findings": []})
    doc = store.add_document(data, f"{agency}-{year}.txt", who=who)
    store.save_extraction(doc.id, result, created_by=who)
    if received != 233:
        store.record_edit(doc.id, "old.收到申请数", received, who=who, reason="测试")
    if confirm:
        store.set_review_state(doc.id, "confirmed", who=who)
    return doc.id
