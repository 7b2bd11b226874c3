"""Run extractors over eval cases and score every case."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from evals.dataset import Case
from evals.metrics import CaseScore, score_case
from extractor._errors import XxgkError


@dataclass
class EvalRun:
    scores: list[CaseScore] = field(default_factory=list)
    extractors: tuple[str, ...] = ("rules",)
    seconds: float = 0.0


def run_case(case: Case, extractor: str = "rules") -> CaseScore:
    """Extract one case and score it; a failure to read is scored as all-missing with its reason."""
    from extractor.api import extract  # lazy: start-up (xxgk --help loads evals.cli)

    kw = {"slug": case.slug, "template": case.template, "layout": case.layout, "extractor": extractor, "origin": case.origin}
    try:
        result = extract(case.source, extractor=extractor)
    except XxgkError as err:
        return score_case(None, case.gold, case.expected, error=str(err), **kw)
    if kw["layout"] == "text" and result.document.layout:
        kw["layout"] = result.document.layout  # a plain-text case: name the layout the ingester recognised
    return score_case(result, case.gold, case.expected, **kw)


def _run_case(args: tuple[Case, tuple[str, ...]]) -> list[CaseScore]:
    """One case with its extractors in order, in one process: a hybrid run after the llm run of the same
    case finds the model's answers in the cache instead of asking the model a second time."""
    case, extractors = args
    return [run_case(case, e) for e in extractors]


def interleaved(cases: Sequence[Case]) -> list[Case]:
    """The real reports first, then cases round-robin over template × layout, each group in its own order: a
    run stopped part way (an LLM over hundreds of reports takes hours) has scored the real reports and every
    template and layout about equally."""
    groups: dict[tuple[str, str], list[Case]] = {}
    out: list[Case] = [c for c in cases if c.origin == "real"]
    for case in cases:
        if case.origin != "real":
            groups.setdefault((case.template, case.layout), []).append(case)
    queues = list(groups.values())
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def run_eval(cases: Sequence[Case], extractors: Iterable[str] = ("rules",), workers: int = 1,
             done: Mapping[tuple[str, str], CaseScore] | None = None,
             on_score: Callable[[CaseScore], None] | None = None, limit: int | None = None) -> EvalRun:
    """Every case with every extractor, case by case (all extractors of a case before the next case).

    ``done`` holds scores kept from an earlier run, keyed by (slug, extractor): those jobs are not run
    again. ``on_score`` sees each new score as it comes (to append it to a file that a later run resumes
    from). ``limit`` keeps only the first cases of the round-robin order: a sample with every template
    and layout in it. ``workers`` > 1 runs jobs in parallel processes. Scores come back in case order.
    """
    extractors = tuple(extractors)
    done = dict(done or {})
    ordered = interleaved(cases)[:limit]
    rank = {(c.slug, e): (i, j) for i, c in enumerate(ordered) for j, e in enumerate(extractors)}
    jobs = [(c, tuple(e for e in extractors if (c.slug, e) not in done)) for c in ordered]
    jobs = [j for j in jobs if j[1]]
    scores = [s for key, s in done.items() if key in rank]
    t0 = time.perf_counter()

    def keep(new: list[CaseScore]) -> None:
        for score in new:
            scores.append(score)
            if on_score is not None:
                on_score(score)

    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_run_case, j) for j in jobs]
            for future in as_completed(futures):
                keep(future.result())
    else:
        for job in jobs:
            keep(_run_case(job))
    scores.sort(key=lambda s: rank[(s.slug, s.extractor)])
    return EvalRun(scores, extractors, time.perf_counter() - t0)
