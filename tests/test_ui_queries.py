"""The 数据 page's questions (ui/queries.py), answered by the database on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

import extractor
from extractor.store import open_store
from tests.conftest import SEED_TXT
from ui import queries as q

REVIEWER = "张三"


@pytest.fixture()
def store(db_url: str):
    s = open_store(db_url)
    yield s
    s.close()


def _add(store, agency: str, year: int, received: int | None, *, confirm: bool = True) -> int:
    data = SEED_TXT.read_bytes() + f"\n{agency}{year}".encode()
    result = extractor.extract(data, name=f"{agency}-{year}.txt")
    result = result.model_copy(update={"meta": result.meta.model_copy(update={"agency": agency, "year": year})})
    doc = store.add_document(data, f"{agency}-{year}.txt", who=REVIEWER)
    store.save_extraction(doc.id, result, created_by=REVIEWER)
    if received != 233:
        store.record_edit(doc.id, "old.收到申请数", received, who=REVIEWER, reason="测试")
    if confirm:
        store.set_review_state(doc.id, "confirmed", who=REVIEWER)
    return doc.id


def test_sums_by_year_count_only_confirmed_reports_and_leave_blanks_out(store) -> None:
    _add(store, "甲局", 2022, 233)
    _add(store, "乙局", 2022, 100)
    _add(store, "甲局", 2023, None)  # blank: not 0, not counted
    _add(store, "丙局", 2023, 50, confirm=False)
    assert q.received_by_year(store, q.DataFilter()) == [(2022, 333.0, 2), (2023, 0.0, 1)]
    assert q.received_by_year(store, q.DataFilter(agency="乙局")) == [(2022, 100.0, 1)]
    assert q.confirmed_count(store, q.DataFilter()) == 3
    assert q.confirmed_count(store, q.DataFilter(year=2023)) == 1
    facets = q.confirmed_facets(store)
    assert facets["year"] == [2023, 2022] and set(facets["agency"]) == {"甲局", "乙局"}


def test_outcomes_are_per_agency_for_the_chosen_year_only(store) -> None:
    _add(store, "甲局", 2022, 233)
    _add(store, "甲局", 2023, 233)
    _add(store, "乙局", 2023, 233)
    rows = q.outcomes_by_agency(store, q.DataFilter(year=2023))
    assert sorted(r["机关"] for r in rows) == ["乙局", "甲局"]
    jia = next(r for r in rows if r["机关"] == "甲局")
    # the seed: 同意公开 122 (已主动公开 blank), 不同意公开 3, 非本机关 5 + 信息不存在 90, 更改补充 4 + 其他途径 9
    assert (jia["予以公开"], jia["不予公开"], jia["无法提供"], jia["其他"]) == (122, 3, 95, 13)


def test_findings_by_rule_leave_out_what_reviewers_dismissed(store) -> None:
    a = _add(store, "甲局", 2022, 233, confirm=False)
    b = _add(store, "乙局", 2022, 233, confirm=False)
    mismatch = next(f for f in store.latest_extraction(a).result.findings if f.rule == "prose.mismatch")
    store.decide_finding(a, mismatch.rule, mismatch.keys, "dismissed", who=REVIEWER, reason="正文笔误")
    upper = next(f for f in store.latest_extraction(b).result.findings if f.rule == "old.channels_upper")
    store.decide_finding(b, upper.rule, upper.keys, "accepted", who=REVIEWER, reason="原件如此")
    for doc in (a, b):
        store.set_review_state(doc, "confirmed", who=REVIEWER)
    got = dict(q.findings_by_rule(store, q.DataFilter()))
    assert got == {"old.channels_upper": 2, "old.responses_sum": 2, "prose.mismatch": 1}
    assert dict(q.findings_by_rule(store, q.DataFilter(agency="甲局"))) == {
        "old.channels_upper": 1, "old.responses_sum": 1}


def test_a_page_of_confirmed_rows_and_the_version_that_caches_it(store) -> None:
    before = q.store_version(store)
    ids = [_add(store, f"局{i:02d}", 2022, 200 + i) for i in range(5)]
    after = q.store_version(store)
    assert after != before
    page = q.confirmed_rows(store, q.DataFilter(), ["old.收到申请数"], offset=2, limit=2)
    assert [r["agency"] for r in page] == ["局02", "局03"]
    assert [r["old.收到申请数"] for r in page] == [202, 203]
    store.record_edit(ids[0], "old.收到申请数", 999, who=REVIEWER)
    assert q.store_version(store) != after
