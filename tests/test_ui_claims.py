"""Claims (ui/claims.py): one reviewer per report at a time, renewed by use, lapsing, taken over on purpose."""

from __future__ import annotations

from ui.claims import Claims


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_claim_keeps_others_out_until_it_lapses_or_is_taken_over() -> None:
    clock = Clock()
    claims = Claims(ttl=60, clock=clock)
    assert claims.claim(1, "张三").who == "张三"
    assert claims.claim(1, "李四").who == "张三"  # held: 李四 is told who holds it
    assert set(claims.held_by_others("李四")) == {1} and claims.held_by_others("张三") == {}
    clock.now = 59
    claims.claim(1, "张三")  # renewed by use
    clock.now = 100
    assert claims.claim(1, "李四").who == "张三"
    clock.now = 120
    assert claims.claim(1, "李四").who == "李四"  # lapsed
    assert claims.claim(1, "张三", take_over=True).who == "张三"
    claims.release(1, "李四")  # not the holder: nothing happens
    assert claims.holder(1).who == "张三"
    claims.release_all("张三")
    assert claims.holder(1) is None


def test_opening_another_report_lets_go_of_the_one_before() -> None:
    claims = Claims(ttl=60, clock=Clock())
    claims.claim(1, "张三")
    claims.claim(2, "李四")
    claims.claim(3, "张三", only=True)
    assert claims.holder(1) is None and claims.holder(2).who == "李四" and claims.holder(3).who == "张三"
