"""The seed report rendered as HTML (UTF-8 and GBK), DOCX and PDF gives the same values and findings."""

from __future__ import annotations

import pytest

from extractor import extract
from extractor.api import read_document
from tests import seed_formats
from tests.conftest import SEED_TXT

KNOWN = {"old.channels_upper", "old.responses_sum", "prose.mismatch"}


@pytest.fixture(scope="module")
def seed_doc():
    return read_document(SEED_TXT)[0]


@pytest.mark.parametrize("fmt, name", [
    ("html-utf8", "seed.html"), ("html-gbk", "seed.htm"), ("docx", "seed.docx"), ("pdf", "seed.pdf"),
])
def test_seed_in_every_format(fmt, name, seed_doc, seed_gold):
    data = {
        "html-utf8": lambda: seed_formats.to_html(seed_doc),
        "html-gbk": lambda: seed_formats.to_html(seed_doc, "gbk"),
        "docx": lambda: seed_formats.to_docx(seed_doc),
        "pdf": lambda: seed_formats.to_pdf(seed_doc),
    }[fmt]()
    r = extract(data, name=name)
    assert r.document.type == name.rsplit(".", 1)[1].replace("htm", "html").replace("htmll", "html")
    flat = r.flat()
    assert {k: flat.get(k, "MISSING") for k in seed_gold["values"]} == seed_gold["values"]
    assert {f.rule for f in r.report_findings()} == KNOWN
    assert len(r.report_findings()) == 3
    assert r.meta.agency == "57365线路检测中心" and r.meta.year == 2017
