"""The 数据 page's figures (ui/queries.py): per-report summaries read from SQLite and PostgreSQL, kept
current by reading again only what changed, and the sums and counts over them."""

from __future__ import annotations

from tests.ui_app import add_seed_report
from ui import queries as q

REVIEWER = "张三"


def _add(store, agency: str, year: int, received: int | None, *, confirm: bool = True) -> int:
    return add_seed_report(store, agency, year, who=REVIEWER, received=received, confirm=confirm)


def test_sums_by_year_count_only_confirmed_reports_and_leave_blanks_out(db_store) -> None:
    store = db_store
    _add(store, "甲局", 2022, 233)
    _add(store, "乙局", 2022, 100)
    _add(store, "甲局", 2023, None)  # blank: not 0, not added
    _add(store, "丙局", 2023, 50, confirm=False)
    rows = q.Summaries().current(store)
    assert q.received_by_year(rows, q.DataFilter()) == [(2022, 333.0, 2), (2023, 0.0, 1)]
    assert q.received_by_year(rows, q.DataFilter(agency="乙局")) == [(2022, 100.0, 1)]
    assert len(q.chosen(rows, q.DataFilter())) == 3 and len(q.chosen(rows, q.DataFilter(year=2023))) == 1
    facets = q.facets(rows)
    assert facets["year"] == [2023, 2022] and facets["agency"] == ["乙局", "甲局"] and facets["template"] == ["2008"]


def test_outcomes_are_per_agency_for_the_chosen_year_only(db_store) -> None:
    store = db_store
    _add(store, "甲局", 2022, 233)
    _add(store, "甲局", 2023, 233)
    _add(store, "乙局", 2023, 233)
    rows = q.outcomes_by_agency(q.Summaries().current(store), q.DataFilter(year=2023))
    assert sorted(r["机关"] for r in rows) == ["乙局", "甲局"]
    jia = next(r for r in rows if r["机关"] == "甲局")
    # the seed: 同意公开 122 (已主动公开 blank), 不同意公开 3, 非本机关 5 + 信息不存在 90, 更改补充 4 + 其他途径 9
    assert (jia["予以公开"], jia["不予公开"], jia["无法提供"], jia["其他"]) == (122, 3, 95, 13)


def test_a_group_total_the_report_does_not_print_is_the_sum_of_its_items() -> None:
    values = {"t3.不予公开.1.总计": 2, "t3.不予公开.3.总计": 1, "t3.无法提供.1.总计": None, "t3.本年新收.总计": 9}
    s = q.summarize(1, "甲局", 2023, "2021", values, [], set())
    labels = [o[0] for o in q.OUTCOMES]
    assert s.outcomes[labels.index("不予公开")] == 3.0
    assert s.outcomes[labels.index("无法提供")] is None  # every item blank: blank, not 0
    assert s.received == 9.0


def test_findings_by_rule_leave_out_what_reviewers_dismissed(db_store) -> None:
    store = db_store
    a = _add(store, "甲局", 2022, 233, confirm=False)
    b = _add(store, "乙局", 2022, 233, confirm=False)
    mismatch = next(f for f in store.latest_extraction(a).result.findings if f.rule == "prose.mismatch")
    store.decide_finding(a, mismatch.rule, mismatch.keys, "dismissed", who=REVIEWER, reason="正文笔误")
    upper = next(f for f in store.latest_extraction(b).result.findings if f.rule == "old.channels_upper")
    store.decide_finding(b, upper.rule, upper.keys, "accepted", who=REVIEWER, reason="原件如此")
    for doc in (a, b):
        store.set_review_state(doc, "confirmed", who=REVIEWER)
    rows = q.Summaries().current(store)
    assert dict(q.findings_by_rule(rows, q.DataFilter())) == {
        "old.channels_upper": 2, "old.responses_sum": 2, "prose.mismatch": 1}
    assert dict(q.findings_by_rule(rows, q.DataFilter(agency="甲局"))) == {
        "old.channels_upper": 1, "old.responses_sum": 1}


def test_only_reports_whose_review_or_decisions_changed_are_read_again(db_store, monkeypatch) -> None:
    store = db_store
    ids = [_add(store, f"局{i:02d}", 2022, 200 + i) for i in range(4)]
    cache = q.Summaries()
    assert len(cache.current(store)) == 4
    read: list[list[int]] = []
    real = q.read_summaries
    monkeypatch.setattr(q, "read_summaries", lambda s, docs, **k: read.append(sorted(docs)) or real(s, docs, **k))
    assert len(cache.current(store)) == 4 and read == []  # nothing changed: nothing read
    store.record_edit(ids[0], "old.收到申请数", 999, who=REVIEWER)  # unconfirms it
    f = store.latest_extraction(ids[1]).result.findings[0]
    store.decide_finding(ids[1], f.rule, f.keys, "dismissed", who=REVIEWER, reason="笔误")
    rows = {s.document_id: s for s in cache.current(store)}
    assert set(rows) == set(ids[1:]) and read == [[ids[1]]]
    store.set_review_state(ids[0], "confirmed", who=REVIEWER)
    assert {s.document_id: s.received for s in cache.current(store)}[ids[0]] == 999.0


def test_a_page_of_confirmed_rows_by_id_and_the_version_that_caches_it(db_store) -> None:
    store = db_store
    before = q.store_version(store)
    ids = [_add(store, f"局{i:02d}", 2022, 200 + i) for i in range(5)]
    after = q.store_version(store)
    assert after != before
    page = q.confirmed_rows(store, [ids[3], ids[2]], ["old.收到申请数"])
    assert [(r["agency"], r["old.收到申请数"]) for r in page] == [("局03", 203), ("局02", 202)]
    store.record_edit(ids[0], "old.收到申请数", 999, who=REVIEWER)
    assert q.store_version(store) != after
