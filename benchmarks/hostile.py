"""Every hostile case through the real commands, with the peak memory and the time of each.

    python3 benchmarks/hostile.py            # prints the table the README's "Limits and security" shows
    python3 benchmarks/hostile.py zip HTTP   # only the cases whose names contain one of the words

Each case is a file made at run time (tests/hostile_files.py, the same makers the tests use) handed to
``xxgk extract`` or ``xxgk batch`` in a fresh process, or a request sent to a real ``xxgk serve``. A case
passes when the command ends as expected — one line naming the limit and its setting, or the report read —
with no traceback, under 2 GB and 60 s. Peak memory is the largest resident set of the command and the
workers it waited for (``wait4``); for the server cases, the server's own peak (VmHWM). CPU is the user and
system seconds of the same processes (for the server, all it spent so far): on a shared, loaded machine the
wall time stretches with the load and the CPU time does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile_files as H
from tests.conftest import SEED_TXT

GB = 1024**3


@dataclass
class Case:
    name: str
    make: Callable[[Path], list[str]]  # the command's arguments, made in a fresh folder
    expect: str  # in the command's output
    code: int = 1
    env: dict[str, str] | None = None


def _extract(maker: str, **args) -> Callable[[Path], list[str]]:
    return lambda d: ["extract", str(H.MAKERS[maker](d, **args))]


def _batch(*makers: tuple[str, dict]) -> Callable[[Path], list[str]]:
    def make(d: Path) -> list[str]:
        src = d / "in"
        src.mkdir()
        (src / "good.txt").write_bytes(SEED_TXT.read_bytes())
        for maker, args in makers:
            H.MAKERS[maker](src, **args)
        return ["batch", str(src), "--out", str(d / "out"), "--db", str(d / "db.sqlite")]
    return make


def _links(d: Path) -> list[str]:
    src = d / "in"
    src.mkdir()
    (src / "good.txt").write_bytes(SEED_TXT.read_bytes())
    H.links_out(src)
    return ["batch", str(src), "--out", str(d / "out"), "--db", str(d / "db.sqlite")]


def _pdf_200_pages(d: Path) -> list[str]:
    import pypdfium2 as pdfium

    from extractor.ingest.text import read_text
    from tests.seed_formats import to_pdf

    one = pdfium.PdfDocument(to_pdf(read_text(SEED_TXT.read_bytes(), "seed.txt")))
    out = pdfium.PdfDocument.new()
    while len(out) < 200:
        out.import_pages(one)
    path = d / "200-pages.pdf"
    out.save(str(path))
    return ["extract", "--flat", str(path)]


def _scan_100mb(d: Path) -> list[str]:
    """An image-only PDF of about 100 MB, just under the 100 MiB file budget (ten pages of incompressible
    JPEG noise, 9.6 MiB each)."""
    import pypdfium2 as pdfium
    from PIL import Image

    jpeg = d / "noise.jpg"
    Image.frombytes("RGB", (2450, 3500), os.urandom(2450 * 3500 * 3)).save(jpeg, quality=95)
    pdf = pdfium.PdfDocument.new()
    for _ in range(min(10, (100 * 2**20 - 2**20) // jpeg.stat().st_size)):
        page = pdf.new_page(595, 842)
        image = pdfium.PdfImage.new(pdf)
        image.load_jpeg(str(jpeg), inline=True)
        image.set_matrix(pdfium.PdfMatrix().scale(595, 842))
        page.insert_obj(image)
        page.gen_content()
    path = d / "scan.pdf"
    pdf.save(str(path))
    return ["extract", str(path)]


CASES = [
    Case("seed with a NUL after a `|` line", lambda d: ["extract", "--flat", str(H.seed_with_nul(d))],
         '"old.收到申请数": 233', 0),
    Case("/dev/zero", lambda d: ["extract", "/dev/zero"], "not a regular file"),
    Case("a FIFO", lambda d: ["extract", str(H.fifo(d))], "not a regular file"),
    Case("/proc/self/environ", lambda d: ["extract", "/proc/self/environ"], "not a regular file"),
    Case("docx bomb (80 MB document.xml in 80 KB)", _extract("docx_bomb"), "XXGK_MAX_DOCX_PART_MB"),
    Case("docx with 275 MB of parts", _extract("docx_many_parts"), "XXGK_MAX_DOCX_MB"),
    Case("50 MB HTML, prose", _extract("html_prose", mb=50), "XXGK_MAX_HTML_MB"),
    Case("50 MB HTML, one table", _extract("html_table", mb=50), "XXGK_MAX_HTML_MB"),
    Case("HTML with 400,000 tags", _extract("html_many_elements"), "XXGK_MAX_HTML_ELEMENTS"),
    Case("HTML table of 2 million merged slots", _extract("html_span_bomb"), "XXGK_MAX_TABLE_CELLS"),
    Case("60 MB of text", _extract("text_flood"), "XXGK_MAX_TEXT_CHARS"),
    Case("PDF of 600 pages", _extract("pdf_pages", pages=600), "XXGK_MAX_PDF_PAGES"),
    Case("memory cap (2 M slots allowed, 400 MB)", _extract("html_span_bomb", rows=20000), "XXGK_MAX_MEMORY_MB",
         env={"XXGK_MAX_TABLE_CELLS": "100000000", "XXGK_MAX_MEMORY_MB": "400"}),
    Case("time cap (60 MB of text allowed, 5 s)", _extract("text_flood"), "XXGK_MAX_SECONDS",
         env={"XXGK_MAX_TEXT_CHARS": "1000000000", "XXGK_MAX_SECONDS": "5"}),
    Case("batch: nested zip, 8^4 × 10 MB", _batch(("nested_zip", {})), "XXGK_MAX_ARCHIVE_DEPTH"),
    Case("batch: nested zip, 8^3 × 10 MB in 4 KB", _batch(("nested_zip", {"depth": 3})), "XXGK_MAX_ARCHIVE_RATIO"),
    Case("batch: zip lying about a 300 MB member", _batch(("lying_zip", {})), "Bad CRC"),
    Case("batch: zip of 5,000 members", _batch(("many_members_zip", {})), "XXGK_MAX_ARCHIVE_FILES"),
    Case("batch: zip listing a million empty members (88 MB)", _batch(("directory_bomb_zip", {})),
         "XXGK_MAX_ARCHIVE_FILES"),
    Case("batch: docx bomb in a worker", _batch(("docx_bomb", {})), "XXGK_MAX_DOCX_PART_MB"),
    Case("batch: links to /proc, /etc, a FIFO", _links, "link out of the input folder"),
    Case("a 200-page PDF goes through", _pdf_200_pages, '"old.收到申请数": 233', 0),
    Case("a 100 MB scan goes through the budgets", _scan_100mb, "scan"),  # read by OCR, or refused without the [ocr] extra
]


def run_case(case: Case) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = case.make(Path(tmp))
        env = {**os.environ, "PYTHONPATH": str(ROOT), **(case.env or {})}
        t0 = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen([sys.executable, "-m", "extractor.cli", *args], stdout=out, stderr=out,
                                    cwd=ROOT, env=env, text=True)
            _pid, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t0
            out.seek(0)
            text = out.read()
        code = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss * 1024
        cpu = usage.ru_utime + usage.ru_stime
        ok = (code == case.code and case.expect in text and "Traceback" not in text and peak < 2 * GB
              and seconds < 60)
        return {"case": case.name, "ok": ok, "seconds": seconds, "cpu": cpu, "peak": peak, "code": code,
                "line": text.strip().splitlines()[-1][:160] if text.strip() else ""}


def _cpu_seconds(pid: int) -> float:
    """User and system seconds a running process has spent so far (/proc/PID/stat utime, stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_http() -> list[dict]:
    """The two cases at the HTTP door: 600 MB chunked without a key, 40 MB chunked over a 2 MB limit."""
    from tests.test_api_server import KEY, Server
    from tests.test_hostile_http import _chunked_upload

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(f"sqlite:///{tmp}/db.sqlite", "--max-request-mb", "2", env={"TMPDIR": tmp})
        try:
            for name, key, total, want in (("HTTP: 600 MB chunked upload without a key", None, 600 * 2**20, b" 401 "),
                                           ("HTTP: 40 MB chunked upload over a 2 MB limit", KEY, 40 * 2**20, b" 413 ")):
                t0, cpu0 = time.perf_counter(), _cpu_seconds(srv.proc.pid)
                answer, sent = _chunked_upload(srv.port, key, total)
                seconds, cpu = time.perf_counter() - t0, _cpu_seconds(srv.proc.pid) - cpu0
                status = Path(f"/proc/{srv.proc.pid}/status").read_text()
                peak = int(next(ln for ln in status.splitlines() if ln.startswith("VmHWM")).split()[1]) * 1024
                rows.append({"case": name, "ok": want in answer[:20] and seconds < 60 and peak < 2 * GB,
                             "seconds": seconds, "cpu": cpu, "peak": peak, "code": answer[9:12].decode(),
                             "line": f"answered after {sent / 2**20:.1f} MB sent"})
        finally:
            srv.stop()
    return rows


def main(argv: list[str]) -> None:
    """Every case, or those whose name contains one of ``argv`` (``hostile.py PDF HTTP``)."""
    def wanted(name: str) -> bool:
        return not argv or any(a.lower() in name.lower() for a in argv)

    def show(row: dict) -> None:
        print(f"{'ok ' if row['ok'] else 'FAIL'} {row['seconds']:6.1f} s {row['cpu']:6.1f} s CPU "
              f"{row['peak'] / 2**20:7.0f} MB  {row['case']}  → {row['line']}", flush=True)

    rows = []
    for case in CASES:
        if wanted(case.name):
            rows.append(run_case(case))
            show(rows[-1])
    for row in run_http() if wanted("HTTP") else []:
        rows.append(row)
        show(row)
    print("\n| case | outcome | peak memory | time | CPU |\n|---|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {'passed' if r['ok'] else 'FAILED'} | {r['peak'] / 2**20:,.0f} MB "
              f"| {r['seconds']:.1f} s | {r['cpu']:.1f} s |")
    passed = sum(r["ok"] for r in rows)
    print(f"\n{len(rows)} cases tried, {passed} passed; max memory {max(r['peak'] for r in rows) / 2**20:,.0f} MB, "
          f"max time {max(r['seconds'] for r in rows):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
