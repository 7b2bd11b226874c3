"""Reports of different agencies with nearly the same narrative, in files, the store and the API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from evals.generator import generate, render, retell
from extractor.api import extract
from extractor.cli import main
from extractor.similar import similar_in_store, similar_reports
from schemas.results import DocumentInfo, ReportMeta, Result

COPIER = "青云市松林区人民政府"


def _reports() -> dict[str, Result]:
    """An original, another agency's copy of it (its own name put in, other layout), and an unrelated report."""
    original = generate(3, "2021")
    return {
        "original": extract(render(original, "html"), name="original.html"),
        "copy": extract(render(retell(original, agency=COPIER), "pdf"), name="copy.pdf"),
        "other": extract(render(generate(4, "2021"), "docx"), name="other.docx"),
    }


def test_a_narrative_copied_by_another_agency_is_found_and_an_unrelated_one_is_not() -> None:
    r = _reports()
    assert r["copy"].meta.agency == COPIER != r["original"].meta.agency
    (pair,) = similar_reports(r.values())
    assert {pair.first.document.name, pair.second.document.name} == {"original.html", "copy.pdf"}
    assert pair.similarity > 0.9
    assert similar_reports(r.values(), threshold=0.99) == []


def test_one_agencys_own_years_and_the_same_file_twice_are_not_pairs() -> None:
    r = _reports()
    next_year = r["original"].model_copy(update={
        "meta": r["original"].meta.model_copy(update={"year": 2099}),
        "document": r["original"].document.model_copy(update={"sha256": "another-file"})})
    assert similar_reports([r["original"], next_year, r["original"]]) == []  # years.same_text covers that
    short = Result(document=DocumentInfo(name="short.txt"), meta=ReportMeta(agency="乙局"))
    assert similar_reports([short, short.model_copy(update={"meta": ReportMeta(agency="丙局")})]) == []


def test_similar_command_reads_files_and_writes_json_and_csv(tmp_path: Path) -> None:
    original = generate(3, "2021")
    a, b = tmp_path / "a.html", tmp_path / "b.md"
    a.write_bytes(render(original, "html"))
    b.write_bytes(render(retell(original, agency=COPIER), "md"))
    out = CliRunner().invoke(main, ["similar", "--format", "json", str(a), str(b)])
    assert out.exit_code == 0, out.output
    (pair,) = json.loads(out.output)
    assert {pair["first"]["file"], pair["second"]["file"]} == {"a.html", "b.md"} and pair["similarity"] > 0.9
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(main, ["similar", "--format", "csv", str(a), str(b)]).output)))
    assert len(rows) == 1 and COPIER in (rows[0]["agency"], rows[0]["other_agency"])
    summary = CliRunner().invoke(main, ["similar", str(a)])
    assert "未发现" in summary.output


def test_similar_in_store_limits_to_the_given_documents(db_url: str) -> None:
    from extractor.store import open_store

    r = _reports()
    with open_store(db_url) as store:
        ids = {}
        for name, result in r.items():
            doc = store.add_document(name.encode(), result.document.name)
            store.save_extraction(doc.id, result.model_copy(update={"document": result.document.model_copy(
                update={"sha256": ""})}))
            ids[name] = doc.id
        assert len(similar_in_store(store)) == 1
        assert len(similar_in_store(store, {ids["copy"]})) == 1
        assert similar_in_store(store, {ids["other"]}) == []
