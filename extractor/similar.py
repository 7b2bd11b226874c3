"""Reports of different agencies whose narratives are nearly the same: copied from one another.

Evaluators found reports copied across agencies and regions, not only from the agency's own previous
year (that is ``years.same_text``). Every result keeps a sketch of its narrative (``extractor/sketch.py``),
so a whole batch is compared pair by pair from the sketches alone: two sketches can only be alike
when most of their hashes are shared, a set intersection that rules out nearly every pair quickly.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extractor import safe_csv
from extractor.sketch import COPIED, similarity
from extractor.years import agency_key
from schemas.results import Result

if TYPE_CHECKING:
    from extractor.store import Store

THRESHOLD = COPIED  # as years.same_text


@dataclass(frozen=True, slots=True)
class SimilarPair:
    first: Result
    second: Result
    similarity: float


def similar_reports(results: Iterable[Result], threshold: float = THRESHOLD) -> list[SimilarPair]:
    """Pairs of reports of different agencies (or with no agency detected) at least ``threshold`` alike.

    Most alike first. The same file twice (same SHA-256) is one report; reports without a sketch (a
    narrative too short to judge) are left out.
    """
    reports: list[Result] = []
    seen: set[str] = set()
    for r in results:
        sha = r.document.sha256
        if not r.document.text_sketch or (sha and sha in seen):
            continue
        seen.add(sha)
        reports.append(r)
    sets = [frozenset(r.document.text_sketch) for r in reports]
    agencies = [agency_key(r.meta.agency) for r in reports]
    out = []
    for i, a in enumerate(reports):
        for j in range(i + 1, len(reports)):
            if agencies[i] and agencies[i] == agencies[j]:
                continue  # one agency's own years: years.same_text
            # a shared share of the union's k smallest hashes needs at least that many shared hashes
            if len(sets[i] & sets[j]) < threshold * min(len(sets[i]), len(sets[j])):
                continue
            score = similarity(a.document.text_sketch, reports[j].document.text_sketch)
            if score is not None and score >= threshold:
                out.append(SimilarPair(a, reports[j], score))
    return sorted(out, key=lambda p: -p.similarity)


def similar_in_store(store: Store, doc_ids: Collection[int] | None = None,
                     threshold: float = THRESHOLD) -> list[SimilarPair]:
    """Alike reports in the store (reviewers' edits do not matter here: the narrative is as read);
    with ``doc_ids``, only the pairs with at least one of those documents (a batch against the rest)."""
    from extractor.years import store_results

    rows = store.list_reports()
    pairs = similar_reports(store_results(store, rows, values=False), threshold)
    if doc_ids is None:
        return pairs
    shas = {r.sha256 for r in rows if r.document_id in doc_ids}
    return [p for p in pairs if p.first.document.sha256 in shas or p.second.document.sha256 in shas]


def _side(r: Result) -> dict[str, Any]:
    return {"file": r.document.name, "sha256": r.document.sha256, "agency": r.meta.agency, "year": r.meta.year}


def to_json(pairs: list[SimilarPair]) -> list[dict[str, Any]]:
    return [{"similarity": round(p.similarity, 3), "first": _side(p.first), "second": _side(p.second)} for p in pairs]


def to_csv(pairs: list[SimilarPair]) -> str:
    """One row per pair of alike reports, most alike first."""
    buf = io.StringIO()
    w = safe_csv.writer(buf)
    w.writerow(["similarity", "file", "agency", "year", "other_file", "other_agency", "other_year"])
    for p in pairs:
        w.writerow([f"{p.similarity:.3f}", p.first.document.name, p.first.meta.agency or "", p.first.meta.year or "",
                    p.second.document.name, p.second.meta.agency or "", p.second.meta.year or ""])
    return buf.getvalue()
