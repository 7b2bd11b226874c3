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
    assert pair.similarity == 1.0  # the agencies' own names are left out: the rest is the same


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


# --------------------------------------------------------------------------- the search itself, on sketches
def _random_sketches(rng, n: int, copies: int, pool: list[int] | None = None, share: float = 0.0):
    """n sketches of different agencies (a ``share`` of each drawn from ``pool``: wording many write alike)
    and ``copies`` copies of some of them, each changed in a few values (similarities around 0.85)."""
    from extractor.sketch import SIZE

    sketches = []
    for _ in range(n):
        common = set(rng.sample(pool, int(SIZE * share))) if pool else set()
        sketches.append(sorted(common | {rng.getrandbits(63) for _ in range(SIZE)})[:SIZE])
    originals = rng.sample(range(n), copies)
    for k, i in enumerate(originals):
        changed = k % 40  # 0 … 39 values of 256 replaced: from the same text to below the threshold
        kept = rng.sample(sketches[i], SIZE - changed)
        sketches.append(sorted(set(kept) | {rng.getrandbits(63) for _ in range(changed)}))
    return sketches, originals


def test_the_index_finds_exactly_the_pairs_that_all_pairs_finds():
    import random

    from extractor.similar import find_alike
    from extractor.sketch import similarity

    sketches, _ = _random_sketches(random.Random(3), 300, 120)
    agencies = [f"机关{i}" for i in range(len(sketches))]
    sets = [frozenset(s) for s in sketches]
    brute = {(i, j) for i in range(len(sketches)) for j in range(i + 1, len(sketches))  # every pair (the
             if len(sets[i] & sets[j]) >= 0.85 * 200 and similarity(sketches[i], sketches[j]) >= 0.85}  # bound: exact)
    found = find_alike(sketches, agencies)
    assert {(i, j) for i, j, _ in found.pairs} == brute
    assert 40 < len(brute) < 120  # copies on both sides of the threshold
    assert found.candidates < 2 * len(brute)  # the index proposed hardly any pair that is not one


def test_wording_many_agencies_share_proves_no_copy_but_a_copy_is_still_found():
    import random

    from extractor.similar import COMMON_MIN, find_alike
    from extractor.sketch import SIZE, similarity

    rng = random.Random(4)
    pool = [rng.getrandbits(63) for _ in range(3000)]  # customary phrases' 4-grams
    sketches = []
    for _ in range(300):  # reports half in that wording, half in their own
        grams = set(rng.sample(pool, 600)) | {rng.getrandbits(63) for _ in range(600)}
        sketches.append(sorted(grams)[:SIZE])
    originals = [5, 50, 150]
    sketches += [list(sketches[i]) for i in originals]  # other agencies' copies
    # two reports written only in that wording look alike to the bare estimate …
    boiler = [sorted(rng.sample(pool[:1400], 1000))[:SIZE], sorted(rng.sample(pool[:1400], 1000))[:SIZE]]
    assert similarity(*boiler) > 0.5
    sketches += boiler
    found = find_alike(sketches, [f"机关{i}" for i in range(len(sketches))], threshold=0.5)
    assert found.common > 500 and len(sketches) > COMMON_MIN
    # … but have nothing of their own to compare once it is left out; the copies are found
    assert {(i, j) for i, j, _ in found.pairs} == {(i, 300 + k) for k, i in enumerate(originals)}


def test_a_batch_is_searched_against_the_rest_only():
    import random

    from extractor.similar import find_alike

    sketches, originals = _random_sketches(random.Random(5), 200, 4)
    agencies = [f"机关{i}" for i in range(len(sketches))]
    everything = {(i, j) for i, j, _ in find_alike(sketches, agencies).pairs}
    assert everything == {(i, 200 + k) for k, i in enumerate(originals)}
    batch = {originals[0], 202}  # an original and another pair's copy
    assert {(i, j) for i, j, _ in find_alike(sketches, agencies, queries=batch).pairs} == {
        (originals[0], 200), (originals[2], 202)}
    assert find_alike(sketches, agencies[:200] + ["机关" + str(originals[0]), *agencies[201:]]).pairs[0][:2] != (
        originals[0], 200)  # one agency's own two reports are years.same_text's, not a copy
