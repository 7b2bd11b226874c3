"""extractor/document.py: the normalized text keeps, for each character, where it was in the text read."""

from __future__ import annotations

from extractor.document import normalize_char, normalize_with_offsets


def test_full_width_forms_become_half_width_one_to_one() -> None:
    text, offsets = normalize_with_offsets("（一）收到申请１２３件，")
    assert text == "(一)收到申请123件,"
    assert list(offsets) == list(range(12))


def test_a_character_that_grows_or_vanishes_keeps_every_offset_right() -> None:
    raw = "面积5㎡\r\n〔2017〕\u200b号"
    text, offsets = normalize_with_offsets(raw)
    assert text == "面积5m2\n[2017]号"
    assert [raw[o] for o in offsets] == ["面", "积", "5", "㎡", "㎡", "\n", "〔", "2", "0", "1", "7", "〕", "号"]


def test_the_offsets_match_normalizing_each_character_alone() -> None:
    raw = "“第１项”　ﬁle\r—/ 平潭"
    text, offsets = normalize_with_offsets(raw)
    expected = [(i, n) for i, ch in enumerate(raw) if ch != "\r" for n in normalize_char(ch)]
    assert text == "".join(n for _, n in expected) and list(offsets) == [i for i, _ in expected]
