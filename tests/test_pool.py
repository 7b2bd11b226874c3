"""extractor/pool.py: the process pool knows nothing of extraction; any module-level function runs in it."""

from __future__ import annotations

import pytest

from extractor.pool import Outcome, ProcessPool, Task


def _length(task: Task) -> Outcome:
    return Outcome(task.id, True, result_json=str(len(task.data)))


def test_a_pool_runs_the_function_it_is_given_one_task_per_worker() -> None:
    pending = [Task(i, f"t{i}", data) for i, data in enumerate((b"a", b"bb", b"ccc"))]
    got: dict[int, str] = {}
    with ProcessPool(2, timeout=60, fn=_length) as pool:
        while pending or pool.busy:
            while pending and pool.idle:
                pool.submit(pending.pop(0))
            got.update((o.task_id, o.result_json) for o, _ in pool.poll(0.5))
    assert got == {0: "1", 1: "2", 2: "3"}


def test_a_pool_without_a_function_is_refused() -> None:
    with pytest.raises(ValueError, match="function"):
        ProcessPool(1)
