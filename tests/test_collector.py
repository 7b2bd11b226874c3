"""extractor/collector.py: the cyclic collector is off during one extraction and as it was found after."""

from __future__ import annotations

import gc

import pytest

from extractor import collector, extract
from extractor._errors import NotAReportError
from tests.conftest import SEED_TXT


def test_paused_turns_the_collector_off_and_back_on_even_when_the_block_fails() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("a bad file")
    assert gc.isenabled()


def test_a_pause_inside_a_pause_and_a_collector_already_off_are_left_as_found() -> None:
    with collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause found it off: the outer one turns it on
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # someone else turned it off: still off
    finally:
        gc.enable()


def test_extract_leaves_the_collector_on_after_a_report_and_after_a_refused_file() -> None:
    result = extract(SEED_TXT)
    assert result.values["old.主动公开数"].value == 42658 and gc.isenabled()
    with pytest.raises(NotAReportError):
        extract("今天天气很好，我们去公园散步，没有任何数字。".encode() * 3, name="travel.txt")
    assert gc.isenabled()
