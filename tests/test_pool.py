"""extractor/pool.py: the process pool knows nothing of extraction; any module-level function runs in it."""

from __future__ import annotations

import os
import time

import pytest

from extractor.pool import STARTUP_LIMIT, Outcome, ProcessPool, Task


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


def _behave(task: Task) -> Outcome:
    if task.name == "crash":
        os._exit(7)
    if task.name == "hang":
        time.sleep(60)
    return Outcome(task.id, True, result_json=task.data.decode())


@pytest.mark.slow
def test_a_crashing_and_a_hanging_task_each_cost_one_worker_never_the_others() -> None:
    tasks = [Task(1, "ok", b"one"), Task(2, "crash", b""), Task(3, "hang", b""), Task(4, "ok", b"four"),
             Task(5, "ok", b"five")]
    got: dict[int, Outcome] = {}
    with ProcessPool(2, timeout=3, fn=_behave) as pool:
        pending = list(tasks)
        deadline = time.monotonic() + 60
        while (pending or pool.busy) and time.monotonic() < deadline:
            while pending and pool.idle:
                pool.submit(pending.pop(0))
            for outcome, _ in pool.poll(0.2):
                got[outcome.task_id] = outcome
    assert sorted(got) == [1, 2, 3, 4, 5]
    assert got[1].result_json == "one" and got[4].result_json == "four" and got[5].result_json == "five"
    assert got[2].kind == "crash" and "exit code 7" in got[2].error
    assert got[3].kind == "timeout" and "3 s" in got[3].error


@pytest.mark.slow
def test_with_a_task_waiting_behind_each_one_a_crash_or_a_hang_still_costs_its_own_task_only() -> None:
    """depth 2: a worker's next task is already in its pipe when it crashes or hangs on the current one; that
    one fails, the waiting one is handed to the fresh worker and succeeds, nothing is run twice."""
    names = ["ok", "crash", "ok", "hang", "ok", "ok"]
    pending = [Task(i, n, f"t{i}".encode()) for i, n in enumerate(names)]
    got: dict[int, list[Outcome]] = {}
    with ProcessPool(1, timeout=3, fn=_behave, depth=2) as pool:
        while pending or pool.busy:
            while pending and pool.idle:
                pool.submit(pending.pop(0))
            assert len(pool.busy) <= 2
            for o, _ in pool.poll(0.2):
                got.setdefault(o.task_id, []).append(o)
    assert sorted(got) == list(range(6)) and all(len(v) == 1 for v in got.values())  # each once
    assert [got[i][0].ok for i in range(6)] == [True, False, True, False, True, True]
    assert got[1][0].kind == "crash" and got[3][0].kind == "timeout"
    assert [got[i][0].result_json for i in (0, 2, 4, 5)] == ["t0", "t2", "t4", "t5"]


def test_a_task_too_big_to_wait_in_a_pipe_goes_only_to_a_free_worker() -> None:
    with ProcessPool(1, timeout=60, fn=_length, depth=2) as pool:
        pool.submit(Task(0, "small", b"x"))
        assert (pool.idle, pool.free) == (1, 0)
        with pytest.raises(ValueError, match="free worker"):
            pool.submit(Task(1, "big", b"x" * 100_000))  # would fill the pipe while the worker is busy
        pool.submit(Task(2, "small", b"yy"))
        assert pool.idle == 0
        got = {}
        while pool.busy:
            got.update((o.task_id, o.result_json) for o, _ in pool.poll(0.5))
    assert got == {0: "1", 2: "2"}


@pytest.mark.slow
def test_a_warm_worker_given_a_hanging_task_later_times_out_on_the_task_budget_not_the_start_up_one() -> None:
    """Only a fresh worker says when it starts its first task (its start-up may be slow); a worker that has
    answered starts its next task the moment it is sent, so the task's own budget counts from then."""
    with ProcessPool(1, timeout=2, fn=_behave) as pool:
        pool.submit(Task(0, "ok", b"first"))
        first: list[Outcome] = []
        while not first:
            first = [o for o, _ in pool.poll(0.5)]
        pool.submit(Task(1, "hang", b""))
        later: list[Outcome] = []
        while not later:
            later = [o for o, _ in pool.poll(0.5)]
    assert first[0].result_json == "first"
    assert later[0].kind == "timeout" and "2 s" in later[0].error
    assert later[0].seconds < STARTUP_LIMIT / 4  # the 2 s budget, not the fresh worker's start-up allowance
