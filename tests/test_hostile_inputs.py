"""Hostile files through ``xxgk extract``, the Python API and ``xxgk batch``: every one within its budget, one
clear line naming the limit and its setting, nothing read from outside the input, the other files going on.

The hostile files are made at test time (tests/hostile_files.py); benchmarks/hostile.py runs the same set
and records peak memory and time per case.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from extractor import extract
from extractor._errors import ImageOnlyError, NotARegularFileError, TooLargeError
from tests import hostile_files as H
from tests.conftest import ROOT, SEED_TXT


def xxgk(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def one_clear_line(p: subprocess.CompletedProcess, *needles: str) -> None:
    assert p.returncode == 1, (p.returncode, p.stderr[-2000:])
    assert "Traceback" not in p.stderr + p.stdout
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    for n in needles:
        assert n in lines[0], lines[0]


# ------------------------------------------------------------------------------------------ text
@pytest.mark.parametrize("where", [0.2, 0.5, 0.8])
def test_a_nul_after_a_bar_line_no_longer_cuts_the_seed(tmp_path: Path, seed_gold: dict, where: float) -> None:
    data = SEED_TXT.read_bytes()
    i = data.index(b"\n|\n", int(len(data) * where)) + 3
    result = extract(data[:i] + b"\x00" + data[i:], name="seed.txt")
    flat = result.flat()
    right = sum(1 for k, v in seed_gold["values"].items() if flat.get(k) == v)
    assert right == len(seed_gold["values"]) == 60  # was 14 to 59 of 60, depending on the line
    control = [f for f in result.findings if f.rule == "ingest.control_chars"]
    assert len(control) == 1 and control[0].actual == 1 and control[0].category == "extraction"


def test_control_characters_in_a_web_page_are_counted(tmp_path: Path) -> None:
    from extractor.ingest.text import read_text
    from tests.seed_formats import to_html

    page = to_html(read_text(SEED_TXT.read_bytes(), "seed.txt")).replace(b"<p>", b"<p>\x00\x01", 3)
    result = extract(page, name="seed.html")
    assert result.flat()["old.收到申请数"] == 233
    assert [f.actual for f in result.findings if f.rule == "ingest.control_chars"] == [6]


# ------------------------------------------------------------------------------------------ not regular files
def test_extract_refuses_devices_fifos_and_proc_with_one_line_each(tmp_path: Path) -> None:
    fifo = H.fifo(tmp_path)
    for path in ("/dev/zero", str(fifo), "/proc/self/environ", str(H.link_to(tmp_path, "/proc/self/environ", "e.txt"))):
        p = xxgk("extract", path, timeout=60)  # /dev/zero read 3.7 GB and died; a FIFO hung for ever
        one_clear_line(p, "not a regular file")


def test_the_python_api_refuses_them_too(tmp_path: Path) -> None:
    for path in ("/dev/zero", H.fifo(tmp_path), "/proc/self/status"):
        with pytest.raises(NotARegularFileError):
            extract(path)


# ------------------------------------------------------------------------------------------ budgets
CASES = [  # maker, its arguments, the setting the one line must name
    ("docx_bomb", {}, "XXGK_MAX_DOCX_PART_MB"),
    ("docx_many_parts", {}, "XXGK_MAX_DOCX_MB"),
    ("html_prose", {"mb": 50}, "XXGK_MAX_HTML_MB"),
    ("html_table", {"mb": 50}, "XXGK_MAX_HTML_MB"),
    ("html_many_elements", {}, "XXGK_MAX_HTML_ELEMENTS"),
    ("html_span_bomb", {}, "XXGK_MAX_TABLE_CELLS"),
    ("text_flood", {}, "XXGK_MAX_TEXT_CHARS"),
    ("pdf_pages", {"pages": 600}, "XXGK_MAX_PDF_PAGES"),
]


@pytest.mark.parametrize(("maker", "args", "setting"), CASES, ids=[c[0] for c in CASES])
def test_each_budget_stops_its_hostile_file_with_one_line_naming_the_setting(tmp_path: Path, maker: str, args: dict,
                                                                             setting: str) -> None:
    path = H.MAKERS[maker](tmp_path, **args)
    with pytest.raises(TooLargeError) as err:
        extract(path)
    assert setting in err.value.one_line() and "over the limit" in err.value.one_line()
    one_clear_line(xxgk("extract", str(path)), setting)


def test_a_200_page_pdf_is_within_the_page_budget(tmp_path: Path) -> None:
    with pytest.raises(ImageOnlyError):  # blank pages: past the budget check, refused for having no text
        extract(H.pdf_pages(tmp_path, pages=200))


def test_memory_and_time_are_capped_by_the_kernel_in_the_worker(tmp_path: Path) -> None:
    spans = H.html_span_bomb(tmp_path, rows=20000)
    p = xxgk("extract", str(spans), env={"XXGK_MAX_TABLE_CELLS": "100000000", "XXGK_MAX_MEMORY_MB": "400"})
    one_clear_line(p, "memory per file", "XXGK_MAX_MEMORY_MB")
    flood = H.text_flood(tmp_path)
    p = xxgk("extract", str(flood), env={"XXGK_MAX_TEXT_CHARS": "1000000000", "XXGK_MAX_SECONDS": "3"})
    one_clear_line(p, "timed out after 3 s", "XXGK_MAX_SECONDS")


def test_a_bad_file_among_good_ones_fails_alone(tmp_path: Path) -> None:
    p = xxgk("extract", "--flat", "/dev/zero", str(SEED_TXT), str(H.docx_bomb(tmp_path)))
    assert p.returncode == 1 and '"old.收到申请数": 233' in p.stdout
    assert len(p.stderr.strip().splitlines()) == 2 and "Traceback" not in p.stderr


# ------------------------------------------------------------------------------------------ batch
@pytest.mark.slow
def test_batch_reads_nothing_outside_its_folder_and_keeps_every_archive_in_budget(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_bytes(SEED_TXT.read_bytes())
    H.links_out(src)
    H.link_to(src, str(src / "good.txt"), "same.txt")  # inside the folder: read (a duplicate)
    H.nested_zip(src)
    H.nested_zip(src / "..", depth=3).rename(src / "ratio.zip")
    H.lying_zip(src)
    H.many_members_zip(src)
    H.directory_bomb_zip(src)
    H.docx_bomb(src)
    db = tmp_path / "db.sqlite"
    secret = "fake-secret-" + os.urandom(6).hex()
    p = xxgk("batch", str(src), "--out", str(tmp_path / "out"), "--db", str(db), "--workers", "2",
             env={"XXGK_LLM_API_KEY": secret}, timeout=300)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr[-3000:]
    failed = (tmp_path / "out" / "failed.csv").read_text(encoding="utf-8-sig")
    for name, reason in [("in/environ.txt", "link out of the input folder"), ("in/passwd.txt", "link out of"),
                         ("in/etc", "link out of"), ("in/report.txt", "not a regular file"),
                         ("in/nested.zip", "XXGK_MAX_ARCHIVE_DEPTH"), ("in/ratio.zip", "XXGK_MAX_ARCHIVE_RATIO"),
                         ("in/many.zip", "XXGK_MAX_ARCHIVE_FILES"), ("in/lying.zip!report.html", "Bad CRC"),
                         ("in/directory-bomb.zip", "XXGK_MAX_ARCHIVE_FILES"),
                         ("in/bomb.docx", "XXGK_MAX_DOCX_PART_MB")]:
        assert any(line.startswith(name + ",") and reason in line for line in failed.splitlines()), (name, failed)
    values = (tmp_path / "out" / "values.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(values) == 2 and values[1].startswith("in/good.txt")
    # the 5,000-member zip: its first 1,000 members (the budget), each a few bytes, are refused without a worker
    # or a stored copy, and printed as one line; then one line for the archive (it took 234 s)
    assert sum(line.startswith("in/many.zip!") for line in failed.splitlines()) == 1000
    assert "in/many.zip: 1,000 个文件 / members: 不是政府信息公开工作年度报告" in " ".join(p.stderr.split())
    assert "r00001.txt:" not in p.stderr
    with sqlite3.connect(db) as conn:  # no byte of the environment, /etc/passwd or the bombs stored
        stored = b"".join(bytes(r[0]) for r in conn.execute("SELECT data FROM document_files"))
        total = conn.execute("SELECT sum(size) FROM documents").fetchone()[0]
        names = sorted(r[0] for r in conn.execute("SELECT name FROM documents"))
    assert secret.encode() not in stored and b"root:x:0:0" not in stored
    assert total < 40 * 1024 * 1024  # the 8 KB nested zip wrote 595 MB into the store
    assert names == ["bomb.docx", "good.txt", "report.txt"]  # report.txt: the nested zips' leaves, before the budget
