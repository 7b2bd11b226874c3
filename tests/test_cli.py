"""The xxgk command line: summary, JSON, CSV, flat output, and bad input that never stops the others."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from extractor.cli import main
from tests.conftest import SEED_TXT


@pytest.fixture
def run():
    runner = CliRunner()

    def call(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return call


def test_summary_shows_tables_and_findings_in_chinese(run):
    r = run("extract", str(SEED_TXT))
    assert r.exit_code == 0
    assert "政府信息公开情况统计表" in r.output and "57365线路检测中心" in r.output
    assert "old.channels_upper" in r.output and "报告自身的问题（3）" in r.output
    assert "42658" in r.output


def test_flat_is_the_score_format(run, seed_gold):
    r = run("extract", "--flat", str(SEED_TXT))
    flat = json.loads(r.output)
    assert {k: flat.get(k, "MISSING") for k in seed_gold["values"]} == seed_gold["values"]


def test_json_has_values_with_evidence_and_findings(run):
    r = run("extract", "--format", "json", str(SEED_TXT))
    data = json.loads(r.output)
    assert data["meta"]["template"] == "2008"
    assert data["values"]["old.举报投诉"]["evidence"][0]["text"] == "671"
    assert sorted(f["rule"] for f in data["findings"] if f["category"] == "report") == [
        "old.channels_upper", "old.responses_sum", "prose.mismatch"]


def test_csv_one_row_per_report(run, tmp_path):
    other = tmp_path / "copy.txt"
    other.write_bytes(SEED_TXT.read_bytes())
    r = run("extract", "--format", "csv", str(SEED_TXT), str(other))
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert len(rows) == 2 and rows[0]["old.收到申请数"] == "233" and rows[0]["old.渠道.政府公报"] == ""
    assert rows[1]["file"] == "copy.txt" and rows[0]["errors"] == "3"
    labelled = run("extract", "--format", "csv", "--labels", str(SEED_TXT))
    assert "（一）收到申请数" in labelled.output.splitlines()[0]


def test_bad_inputs_get_one_line_each_and_the_good_file_still_goes_through(run, tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n1 0 obj <<>> garbage")
    menu = tmp_path / "menu.txt"
    menu.write_text("今日菜单：米饭、面条。\n", encoding="utf-8")
    binary = tmp_path / "noise.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    r = CliRunner().invoke(main, ["extract", "--flat", str(empty), str(corrupt), str(menu), str(binary),
                                  str(SEED_TXT), str(tmp_path / "missing.txt")])
    assert r.exit_code == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("xxgk:")]
    assert len(errors) == 5
    assert "文件为空 / the file is empty" in errors[0]
    assert "损坏" in errors[1] and "corrupt" in errors[1]
    assert "不是政府信息公开工作年度报告" in errors[2]
    assert "编码" in errors[3]
    assert "无法打开" in errors[4]
    assert "Traceback" not in r.output + r.stderr
    flats = json.loads(r.stdout)
    assert len(flats) == 1 and flats[0]["old.收到申请数"] == 233


def test_too_large_file_is_refused_before_reading(tmp_path, limits_set):
    limits_set(file_bytes=1000)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    r = CliRunner().invoke(main, ["extract", str(big)])
    assert r.exit_code == 1
    assert "超出限制：文件大小 / over the limit: file size (big.txt: 2,000 bytes > 1,000 bytes, XXGK_MAX_BYTES)" in r.stderr


def test_console_script_runs_as_a_process():
    p = subprocess.run([sys.executable, "-m", "extractor.cli", "extract", "--flat", str(SEED_TXT)],
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0 and json.loads(p.stdout)["old.举报投诉"] == 671


# --------------------------------------------------------------------------- start-up: each command imports what it uses
def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running ``code``."""
    script = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(p.stdout.strip().splitlines()[-1]))


def test_version_imports_neither_the_models_nor_the_readers_nor_the_eval_generator():
    loaded = _modules_after("from click.testing import CliRunner\nfrom extractor.cli import main\n"
                            "assert CliRunner().invoke(main, ['--version']).exit_code == 0")
    assert not {"pydantic", "schemas.results", "extractor.api", "extractor.reader", "evals.generator", "rich",
                "pdfplumber", "pypdfium2", "docx", "lxml"} & loaded


def test_extract_of_a_text_report_imports_no_pdf_docx_html_reader_nor_the_eval_generator():
    heavy = {"evals", "evals.generator", "pdfplumber", "pypdfium2", "docx", "lxml", "extractor.ingest.pdf",
             "extractor.ingest.docx", "extractor.ingest.html", "extractor.store", "sqlalchemy"}
    # the command (its worker process reads the file)
    loaded = _modules_after(f"from click.testing import CliRunner\nfrom extractor.cli import main\n"
                            f"assert CliRunner().invoke(main, ['extract', {str(SEED_TXT)!r}]).exit_code == 0")
    assert "schemas.results" in loaded and not heavy & loaded
    # what the worker runs
    loaded = _modules_after(f"from extractor.api import extract\nextract({str(SEED_TXT)!r})")
    assert "extractor.ingest.text" in loaded and not heavy & loaded


def test_every_command_is_listed_and_loads():
    from extractor.cli import COMMANDS, load_command

    help_text = CliRunner().invoke(main, ["--help"]).output
    for name in ("extract", "rules", "years", "similar", *COMMANDS):
        assert f"  {name} " in help_text
    for name in COMMANDS:
        assert load_command(name).name == ("eval" if name == "eval" else name)


def _without(monkeypatch, module: str, dependency: str) -> None:
    """Importing ``module`` fails as if its extra's ``dependency`` were not installed."""
    import importlib

    from extractor import cli

    real = importlib.import_module

    def fake(name: str, *args, **kwargs):
        if name == module:
            raise ModuleNotFoundError(f"No module named {dependency!r}", name=dependency)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(cli.importlib, "import_module", fake)


def test_a_command_whose_extra_is_missing_is_an_error_not_a_missing_command(monkeypatch):
    _without(monkeypatch, "extractor.api_server", "fastapi")
    r = CliRunner().invoke(main, ["serve", "--help"])
    assert r.exit_code == 1 and "xxgk[api]" in r.output and "fastapi" in r.output


def test_a_broken_module_of_ours_is_not_mistaken_for_a_missing_extra(monkeypatch):
    from extractor import cli

    monkeypatch.setitem(cli.COMMANDS, "broken", ("extractor.no_such_module", "cmd", "store"))
    with pytest.raises(ModuleNotFoundError):
        CliRunner().invoke(main, ["broken"], catch_exceptions=False)


def test_help_lists_a_command_whose_extra_is_missing_with_what_to_install(monkeypatch):
    _without(monkeypatch, "ui.launch", "streamlit")
    r = CliRunner().invoke(main, ["--help"])
    assert r.exit_code == 0 and "pip install 'xxgk[ui]'" in r.output and "  extract " in r.output


def test_confirmed_writes_the_reviewers_values_with_who_and_when(tmp_path) -> None:
    from extractor import extract
    from extractor.store import open_store

    db = str(tmp_path / "x.sqlite")
    with open_store(db) as store:
        doc = store.add_document(SEED_TXT.read_bytes(), SEED_TXT.name)
        store.save_extraction(doc.id, extract(SEED_TXT))
        store.record_edit(doc.id, "old.收到申请数", 234, reason="核对原件", who="张三")
        store.set_review_state(doc.id, "confirmed", who="张三")
        other = store.add_document(b"not confirmed", "other.txt")  # stored, never confirmed: not in the data
        assert other.id != doc.id
    out = tmp_path / "out" / "confirmed.csv"
    r = CliRunner().invoke(main, ["confirmed", "--db", db, "--out", str(out)])
    assert r.exit_code == 0, r.output
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
    assert (row["file"], row["reviewer"], row["document_id"]) == (SEED_TXT.name, "张三", str(doc.id))
    assert row["old.收到申请数"] == "234"  # the edit, not the extraction's 233
    assert row["confirmed_at"].endswith("+00:00") and "1 report" in r.output
    r = CliRunner().invoke(main, ["confirmed", "--db", db, "--out", str(tmp_path / "c.xlsx"), "--labels",
                                  "--year", "1999"])
    assert r.exit_code == 0 and "0 report" in r.output and (tmp_path / "c.xlsx").stat().st_size > 0
    r = CliRunner().invoke(main, ["confirmed", "--db", db, "--out", str(tmp_path / "c.json")])
    assert r.exit_code == 2 and ".csv, .xlsx, .parquet" in r.output and not (tmp_path / "c.json").exists()
