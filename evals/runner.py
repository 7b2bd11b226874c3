"""Run extractors over eval cases and score every case."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from evals.dataset import Case
from evals.metrics import CaseScore, score_case


@dataclass
class EvalRun:
    scores: list[CaseScore] = field(default_factory=list)
    extractors: tuple[str, ...] = ("rules",)
    seconds: float = 0.0


def run_case(case: Case, extractor: str = "rules") -> CaseScore:
    """Extract one case and score it; a failure to read is scored as all-missing with its reason."""
    from extractor import XxgkError, extract

    kw = dict(slug=case.slug, template=case.template, layout=case.layout, extractor=extractor, origin=case.origin)
    try:
        result = extract(case.source, extractor=extractor)
    except XxgkError as err:
        return score_case(None, case.gold, case.expected, error=str(err), **kw)
    if kw["layout"] == "text" and result.document.layout:
        kw["layout"] = result.document.layout  # a plain-text case: name the layout the ingester recognised
    return score_case(result, case.gold, case.expected, **kw)


def _run_one(args: tuple[Case, str]) -> CaseScore:
    return run_case(*args)


def run_eval(cases: Sequence[Case], extractors: Iterable[str] = ("rules",), workers: int = 1) -> EvalRun:
    """Every case with every extractor; ``workers`` > 1 runs cases in parallel processes."""
    extractors = tuple(extractors)
    jobs = [(c, e) for e in extractors for c in cases]
    t0 = time.perf_counter()
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            scores = list(pool.map(_run_one, jobs, chunksize=4))
    else:
        scores = [_run_one(j) for j in jobs]
    return EvalRun(scores, extractors, time.perf_counter() - t0)
