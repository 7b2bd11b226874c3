"""The review queue as data (ui/queue_model.py): stable order, filters, open counts, next pending."""

from __future__ import annotations

from tests.ui_app import add_seed_report
from ui import queue_model as qm

REVIEWER = "张三"


def _add(store, agency: str, year: int, *, clean: bool = False) -> int:
    return add_seed_report(store, agency, year, who=REVIEWER, findings=not clean)


def test_the_order_is_stated_total_and_filters_run_in_the_database(db_store) -> None:
    store = db_store
    a = _add(store, "甲局", 2023)
    b = _add(store, "乙局", 2022)
    c = _add(store, "甲局", 2022, clean=True)
    assert qm.ids(store, qm.QueueFilter()) == [a, b, c]  # upload order, then the number
    assert qm.ids(store, qm.QueueFilter(descending=True)) == [c, b, a]
    assert qm.ids(store, qm.QueueFilter(order="year")) == [b, c, a]  # ties broken by the number
    assert qm.ids(store, qm.QueueFilter(agency="甲局")) == [a, c]
    assert qm.ids(store, qm.QueueFilter(year=2022, extractor="rules")) == [b, c]
    assert qm.ids(store, qm.QueueFilter(search="乙")) == [b]
    assert qm.QueueFilter().describe() == "按上传时间从旧到新，相同时按编号"
    store.set_review_state(a, "confirmed", who=REVIEWER)
    assert qm.ids(store, qm.QueueFilter()) == [b, c]  # pending only, by default
    assert qm.ids(store, qm.QueueFilter(states=("pending", "confirmed"))) == [a, b, c]


def test_settled_findings_no_longer_count_and_the_error_filter_follows_them(db_store) -> None:
    store = db_store
    a = _add(store, "甲局", 2023)
    b = _add(store, "乙局", 2023)
    c = _add(store, "丙局", 2023, clean=True)
    result = store.latest_extraction(a).result
    for f in result.findings:
        store.decide_finding(a, f.rule, f.keys, "accepted", who=REVIEWER, reason="原件如此")
    counts = qm.open_counts(store, [a, b, c])
    assert counts == {a: (0, 0), b: (3, 0), c: (0, 0)}
    assert qm.ids(store, qm.QueueFilter(errors="open")) == [b]
    assert qm.ids(store, qm.QueueFilter(errors="none")) == [a, c]
    (row_a, row_b) = qm.rows_for(store, [a, b])
    assert (row_a.n_error, row_a.open_error, row_b.open_error) == (3, 0, 3)


def test_next_after_wraps_round_and_skips_reports_others_hold() -> None:
    assert qm.next_after([1, 2, 3, 4], 2) == 3
    assert qm.next_after([1, 2, 3, 4], 4) == 1
    assert qm.next_after([1, 2, 3, 4], 2, skip={3}) == 4
    assert qm.next_after([1, 2, 3], 9) == 1  # not in the list: its first
    assert qm.next_after([2], 2) is None and qm.next_after([], None) is None


def test_facets_list_what_the_store_holds(db_store) -> None:
    store = db_store
    _add(store, "甲局", 2023)
    _add(store, "乙局", 2021)
    got = qm.facets(store)
    assert set(got["agency"]) == {"乙局", "甲局"}
    assert got["year"] == [2023, 2021] and got["template"] == ["2008"] and got["extractor"] == ["rules"]
