"""Sign-in throttling (ui/throttle.py): a growing wait per user name and per address."""

from __future__ import annotations

from ui.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_past_the_free_ones_double_the_wait_up_to_the_cap() -> None:
    t = Throttle(free=3, base=1.0, maximum=8.0, clock=Clock())
    waits = [t.failed("李四", "10.0.0.1") for _ in range(7)]
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_the_wait_holds_per_name_and_per_address_separately() -> None:
    clock = Clock()
    t = Throttle(free=1, base=2.0, clock=clock)
    t.failed("李四", "10.0.0.1")
    assert t.wait("李四", "10.0.0.9") == 2.0  # the name is held from any address
    assert t.wait("王五", "10.0.0.1") == 2.0  # the address is held for any name
    assert t.wait("王五", "10.0.0.9") == 0.0
    clock.now += 2.0
    assert t.wait("李四", "10.0.0.1") == 0.0


def test_a_success_clears_the_name_but_not_the_address() -> None:
    t = Throttle(free=1, base=5.0, clock=Clock())
    t.failed("李四", "10.0.0.1")
    t.succeeded("李四", "10.0.0.1")
    assert t.wait("李四", "10.0.0.9") == 0.0
    assert t.wait("王五", "10.0.0.1") == 5.0


def test_clearing_forgets_every_name_and_address() -> None:
    t = Throttle(free=1, base=5.0, clock=Clock())
    t.failed("李四", "10.0.0.1")
    assert t.wait("李四", "10.0.0.9") == t.wait("王五", "10.0.0.1") == 5.0
    t.clear()
    assert t.wait("李四", "10.0.0.9") == t.wait("王五", "10.0.0.1") == 0.0


def test_names_are_compared_as_typed_apart_from_case_and_spaces() -> None:
    t = Throttle(free=1, base=3.0, clock=Clock())
    t.failed(" Admin ", None)
    assert t.wait("admin", "10.1.1.1") == 3.0
