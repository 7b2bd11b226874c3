"""Where the reviewer is (ui/place.py): ids only, read from the URL without trusting it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ui.place import Place


def test_a_place_goes_into_the_url_and_comes_back() -> None:
    place = Place(page="review", report=12, key="t4.复议.总计", finding="3a85f20af9", table="t4")
    assert place.query() == {"page": "review", "report": "12", "key": "t4.复议.总计", "finding": "3a85f20af9",
                             "table": "t4"}
    assert Place.from_query(place.query()) == place
    assert Place(page="data", report=12).query() == {"page": "data"}


def test_anything_malformed_in_the_url_is_dropped() -> None:
    got = Place.from_query({"page": "admin';--", "report": "12x", "key": "t9.不存在", "finding": "<script>",
                            "table": "t7"})
    assert got == Place(page="queue")
    assert Place.from_query({"report": "7"}) == Place(page="review", report=7)
    assert Place.from_query({"report": "9" * 40}).report is None


def test_a_place_is_typed_a_label_cannot_stand_in_for_an_id() -> None:
    with pytest.raises(ValidationError):
        Place(page="review", report="淮安市 2023 年度报告")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Place(page="审核")  # type: ignore[arg-type]
