"""Reports of different agencies whose narratives are nearly the same: copied from one another.

Evaluators found reports copied across agencies and regions, not only from the agency's own previous
year (that is ``years.same_text``). Every result keeps a sketch of its narrative (``extractor/sketch.py``:
the template's standard wording and the agency's own name already left out), and the search works on
the sketches alone, in time about linear in the number of reports:

1. **Common wording.** A hash found in the sketches of many of the n reports searched — 2 % of them, but
   at least ``COMMON_MIN`` and at most ``COMMON_MAX`` reports (counted over a sample of at most ``SAMPLE``
   sketches) — is a phrase many agencies write alike (customary sentences, slogans, a model text handed
   down to dozens of offices) and proves no copy either: it is left out. What remains of a bottom-k
   sketch is still a bottom-k sketch, of the text without those phrases; one with fewer than
   ``MIN_KEPT`` values left has too little wording of its own to judge. The upper bound keeps the search
   linear: no value is shared by more than ``COMMON_MAX`` sketches once they are left out.
2. **Candidates.** A sketch's values are its smallest hashes, in order. If two sketches' estimate reaches
   t, at most (1 − t)·k of the k smallest hashes of their union are not shared, so both sketches hold a
   shared value among their first ⌊(1 − t)·k⌋ + 1. Each sketch is indexed under that prefix, and only
   pairs meeting in the index are candidates: locality-sensitive hashing with bands of one value, keyed
   by the value itself. (Bands of several values, as with MinHash rows, do not work here: one extra small
   hash shifts every position of a bottom-k sketch, so a copy would miss its bands.) No pair that reaches
   the threshold is missed, and after step 1 a value is shared by few sketches, so there are few candidates.
3. **The estimate** of ``sketch.similarity`` on the candidates only; pairs of one agency are left to
   ``years.same_text``.

After a batch only the batch's reports are searched against the store (``similar_in_store`` with
``doc_ids``): the index holds every report, the candidates are the pairs with a report of the batch.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extractor import safe_csv
from extractor.sketch import COPIED, SIZE, similarity
from extractor.years import agency_key, store_results
from schemas.results import Result

if TYPE_CHECKING:
    import numpy as np

    from extractor.store import Store

THRESHOLD = COPIED  # as years.same_text
COMMON_SHARE = 0.02  # a hash in this share of the reports searched is common wording …
COMMON_MIN = 20  # … if that is at least this many (a handful of reports shows nothing common) …
COMMON_MAX = 50  # … and in this many at any size of the store
MIN_KEPT = 6  # values a sketch must keep after that to be judged (about 2 % of its 4-grams its own)
SAMPLE = 20_000  # sketches counted to find the common hashes


@dataclass(frozen=True, slots=True)
class SimilarPair:
    first: Result
    second: Result
    similarity: float


@dataclass(frozen=True, slots=True)
class Search:
    """What a search found and how much work it took (for the benchmark and the logs)."""

    pairs: list[tuple[int, int, float]]  # (i, j, similarity), i < j, most alike first
    common: int  # distinct hashes left out as common wording
    judged: int  # reports with enough wording of their own to judge
    candidates: int  # pairs whose similarity was computed


def find_alike(sketches: Sequence[Sequence[int]], agencies: Sequence[str], threshold: float = THRESHOLD,
               queries: Collection[int] | None = None) -> Search:
    """Pairs of sketches at least ``threshold`` alike, their common wording aside (see the module).

    ``agencies``: a key per sketch (``years.agency_key``); two sketches of one agency are no pair, ""
    (not detected) pairs with anything. ``queries``: only pairs with at least one of these indexes.
    """
    import numpy as np

    lengths = np.fromiter((len(s) for s in sketches), dtype=np.int64, count=len(sketches))
    flat = np.fromiter((h for s in sketches for h in sorted(s)), dtype=np.int64, count=int(lengths.sum()))
    return find_alike_flat(flat, lengths, agencies, threshold, queries)


def find_alike_flat(flat: np.ndarray, lengths: np.ndarray, agencies: Sequence[str], threshold: float = THRESHOLD,
                    queries: Collection[int] | None = None) -> Search:
    """:func:`find_alike` on the sketches laid end to end (``flat``, int64, each sketch ascending) with
    their ``lengths``: a hundred thousand sketches as Python lists would take a gigabyte."""
    import numpy as np

    n = len(lengths)
    index_type = np.int32 if flat.size < 2**31 else np.int64  # half the memory of the index arrays
    owner = np.repeat(np.arange(n, dtype=index_type), lengths)
    common = _common_hashes(flat, lengths, n)
    if common.size:
        at = np.minimum(np.searchsorted(common, flat), common.size - 1)
        keep = common[at] != flat
        del at
        flat, owner = flat[keep], owner[keep]
        del keep
        lengths = np.bincount(owner, minlength=n).astype(np.int64)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    judged = lengths >= MIN_KEPT
    # the indexed prefix of each judged sketch: its first ⌊(1 − t)·k⌋ + 1 values
    prefix = np.minimum(np.floor((1.0 - threshold) * lengths).astype(np.int64) + 1, lengths)
    prefix[~judged] = 0
    position = np.arange(flat.size, dtype=index_type)
    np.subtract(position, starts.astype(index_type)[owner], out=position)
    indexed = position < prefix.astype(index_type)[owner]
    del position
    keys, docs = flat[indexed], owner[indexed]
    del indexed
    order = np.argsort(keys, kind="stable")
    keys, docs = keys[order], docs[order]
    run_starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    run_ends = np.r_[run_starts[1:], keys.size]
    shared = np.flatnonzero(run_ends - run_starts >= 2)
    wanted = None if queries is None else set(queries)
    candidates: set[tuple[int, int]] = set()
    for r in shared:
        members = docs[run_starts[r]:run_ends[r]].tolist()
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1:]:  # a sketch holds a value once: a != b
                i, j = (a, b) if a < b else (b, a)
                if wanted is None or i in wanted or j in wanted:
                    candidates.add((i, j))
    pairs: list[tuple[int, int, float]] = []
    for i, j in candidates:
        if agencies[i] and agencies[i] == agencies[j]:
            continue  # one agency's own years: years.same_text
        a = flat[starts[i]:starts[i] + lengths[i]].tolist()
        b = flat[starts[j]:starts[j] + lengths[j]].tolist()
        # a share of the union's k smallest hashes needs at least that many shared hashes
        if len(set(a).intersection(b)) < threshold * min(len(a), len(b)):
            continue
        score = similarity(a, b)
        if score is not None and score >= threshold:
            pairs.append((i, j, score))
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return Search(pairs, int(common.size), int(judged.sum()), len(candidates))


def _common_hashes(flat: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """The hashes in at least COMMON_SHARE·n (within COMMON_MIN…COMMON_MAX) of the sketches, counted over a sample.

    A bottom-k sketch only sees hashes up to its largest (all of them when the text had fewer than k
    4-grams), so a large hash is counted against the sketches that could hold it: the limit shrinks in
    proportion (never below two sketches).
    """
    import numpy as np

    limit = min(max(COMMON_MIN, COMMON_SHARE * n), COMMON_MAX)
    if n == 0 or limit > n:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(lengths) - 1
    if n > SAMPLE:  # every (n / SAMPLE)-th sketch: the limit scales with the sample
        chosen = np.zeros(n, dtype=bool)
        chosen[np.linspace(0, n - 1, SAMPLE).astype(np.int64)] = True
        sample = flat[np.repeat(chosen, lengths)]
        ends, lengths = ends[chosen], lengths[chosen]
        limit, n = limit * SAMPLE / n, SAMPLE
    else:
        sample = flat
    # the largest hash each sketch can see: its last, or any when it is not full
    reach = np.where((lengths >= SIZE) & (lengths > 0), flat[np.maximum(ends, 0)], np.iinfo(np.int64).max)
    reach.sort()
    values, counts = np.unique(sample, return_counts=True)  # a sketch holds each hash once
    seeing = n - np.searchsorted(reach, values, side="left")
    return values[counts >= np.maximum(2.0, limit * seeing / n)]


def similar_reports(results: Iterable[Result], threshold: float = THRESHOLD) -> list[SimilarPair]:
    """Pairs of reports of different agencies (or with no agency detected) at least ``threshold`` alike.

    Most alike first. The same file twice (same SHA-256) is one report; reports without a sketch (a
    narrative too short to judge) are left out.
    """
    reports = _distinct(results)
    found = find_alike([r.document.text_sketch for r in reports], [agency_key(r.meta.agency) for r in reports],
                       threshold)
    return [SimilarPair(reports[i], reports[j], score) for i, j, score in found.pairs]


def _distinct(results: Iterable[Result]) -> list[Result]:
    reports: list[Result] = []
    seen: set[str] = set()
    for r in results:
        sha = r.document.sha256
        if not r.document.text_sketch or (sha and sha in seen):
            continue
        seen.add(sha)
        reports.append(r)
    return reports


def similar_in_store(store: Store, doc_ids: Collection[int] | None = None,
                     threshold: float = THRESHOLD) -> list[SimilarPair]:
    """Alike reports in the store (reviewers' edits do not matter here: the narrative is as read); with
    ``doc_ids``, only the pairs with at least one of those documents (a batch against the rest).

    The database hands over the sketches and agencies only, laid end to end in arrays as they come; the
    reports are read for the pairs found.
    """
    import numpy as np

    got = store.sketch_arrays()
    ids = got.document_ids
    queries = None if doc_ids is None else [i for i, d in enumerate(ids) if d in doc_ids]
    found = find_alike_flat(np.frombuffer(got.flat, dtype=np.int64), np.frombuffer(got.lengths, dtype=np.int64),
                            [agency_key(a) for a in got.agencies], threshold, queries)
    involved = sorted({ids[i] for i, j, _ in found.pairs} | {ids[j] for _, j, _ in found.pairs})
    rows = store.list_reports(document_ids=involved) if involved else []
    results = dict(zip([r.document_id for r in rows], store_results(store, rows, metadata_only=True), strict=True))
    return [SimilarPair(results[ids[i]], results[ids[j]], score) for i, j, score in found.pairs]


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
