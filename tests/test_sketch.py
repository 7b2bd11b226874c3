"""Sketches of a report's narrative and the similarity they estimate."""

from __future__ import annotations

import random

import pytest

from extractor.api import read_document
from extractor.sketch import SIZE, similarity, sketch, sketch_text
from schemas.template_text import standard_texts
from tests.conftest import SEED_TXT, real_pdf

GRAM = 4


def _text(rng: random.Random, n: int) -> str:
    alphabet = "政府信息公开工作年度报告主动依申请复议诉讼办理结果制度平台建设解读回应会议培训监督考核"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _jaccard(a: str, b: str) -> float:
    ga = {a[i:i + GRAM] for i in range(len(a) - GRAM + 1)}
    gb = {b[i:i + GRAM] for i in range(len(b) - GRAM + 1)}
    return len(ga & gb) / len(ga | gb)


def test_a_short_narrative_has_no_sketch_and_no_similarity() -> None:
    assert sketch_text("本机关全年未收到申请。") == []
    assert similarity([], sketch_text(_text(random.Random(1), 2000))) is None


def test_changed_figures_and_spacing_do_not_hide_a_copy() -> None:
    text = _text(random.Random(2), 3000)
    later = text.replace("年", "2024年", 5).replace("会议", "会 议", 3)
    a, b = sketch_text(text), sketch_text(later)
    assert len(a) == SIZE and similarity(a, b) == 1.0


@pytest.mark.parametrize("share", [0.2, 0.5, 0.8])
def test_the_estimate_follows_the_exact_jaccard_similarity(share: float) -> None:
    rng = random.Random(int(share * 10))
    common = _text(rng, int(4000 * share))
    a = common + _text(rng, 4000 - len(common))
    b = common + _text(rng, 4000 - len(common))
    assert similarity(sketch_text(a), sketch_text(b)) == pytest.approx(_jaccard(a, b), abs=0.08)


def test_real_consecutive_reports_share_their_standard_sentences_only() -> None:
    y2023, _ = read_document(real_pdf("2023-huaian-hongze-district"))
    y2024, _ = read_document(real_pdf("2024-huaian-hongze-district"))
    seed, _ = read_document(SEED_TXT)
    # exactly 0.35 of their 4-grams, the standard wording and the agency's name aside (0.43 with them)
    assert 0.25 < similarity(sketch(y2023, "淮安市洪泽区人民政府"), sketch(y2024, "淮安市洪泽区人民政府")) < 0.5
    assert similarity(sketch(seed), sketch(y2023)) < 0.1


def test_read_document_keeps_the_sketch_with_the_result() -> None:
    _, info = read_document(SEED_TXT)
    assert info.text_sketch == sorted(info.text_sketch) and len(info.text_sketch) == SIZE


def test_the_templates_standard_wording_proves_no_copy() -> None:
    rng = random.Random(7)
    standard = "\n".join(standard_texts("2021"))  # headings, labels, formulas: a paragraph each
    a = f"{standard}\n{_text(rng, 1500)}"  # two agencies' own words around the same standard wording
    b = f"{standard}\n{_text(rng, 1500)}"
    assert _jaccard(a, b) > 0.2  # counted, the standard wording alone would make them look related
    assert similarity(sketch_text(a), sketch_text(b)) < 0.05


def test_the_agencys_own_name_is_left_out() -> None:
    own = _text(random.Random(8), 1500)
    original = sketch_text(f"甲市乙区人民政府{own[:700]}甲市乙区人民政府{own[700:]}", "甲市乙区人民政府")
    copy = sketch_text(f"丙县丁局{own[:700]}丙县丁局{own[700:]}", "丙县丁局")
    assert similarity(original, copy) == 1.0
    assert similarity(sketch_text(f"甲市乙区人民政府{own[:700]}甲市乙区人民政府{own[700:]}"), sketch_text(
        f"丙县丁局{own[:700]}丙县丁局{own[700:]}")) < 1.0
