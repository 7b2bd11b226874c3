"""The source beside the form (ui/source_view.py): the PDF page with a clickable box per value, the text."""

from __future__ import annotations

import base64
import io
import re

from PIL import Image

from schemas.results import Evidence
from tests.conftest import real_pdf
from ui import source_view


def test_the_page_carries_one_box_per_value_over_its_number() -> None:
    data = real_pdf("2023-huaian-hongze-district").read_bytes()
    assert source_view.page_count(data) == 5
    png = source_view.render_page(data, 2, 2.0)
    crop = (62.0, 400.0, 532.0, 780.0)
    boxes = [source_view.Box("t3.本年新收.总计", (338.6, 573.43, 422.4, 608.29), "focus", "本年新收·总计"),
             source_view.Box("t3.上年结转.总计", (338.6, 610.0, 422.4, 640.0), "involved"),
             source_view.Box("t2.规章.本年制发", (100.0, 100.0, 120.0, 110.0))]  # above the crop: left out
    html = source_view.page_html(png, crop, boxes, 2.0)
    assert re.findall(r'data-key="([^"]+)"', html) == ["t3.上年结转.总计", "t3.本年新收.总计"]  # the focus drawn last
    focus = re.search(r'class="b focus"[^>]*style="left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%', html)
    left, top, width = (float(x) for x in focus.groups())
    assert abs(left - (338.6 - 2 - 62) / 470 * 100) < 0.01 and abs(top - (573.43 - 2 - 400) / 380 * 100) < 0.01
    assert abs(width - (422.4 - 338.6 + 4) / 470 * 100) < 0.01
    img = Image.open(io.BytesIO(base64.b64decode(re.search(r'base64,([^"]+)"', html).group(1))))
    assert img.size == (940, 760)  # the crop at 2x


def test_text_excerpt_shows_one_window_per_place_focus_first_clickable_and_escaped() -> None:
    table = "<b>表</b>" + "。" * 10 + "其他情形数 件 3" + "丙" * 400
    prose = "正文：行政诉讼20件，其他情形1件。" + "丁" * 50
    text = table + prose
    cell = text.index("3" + "丙")
    said = text.index("1件")
    marks = [source_view.Mark(Evidence(start=said, end=said + 1), False),
             source_view.Mark(Evidence(start=cell, end=cell + 1), True, "old.诉讼.其他")]
    html = source_view.text_excerpt_html(text, marks, before=20, after=30)
    windows = html.split('<div class="xsrc">')[1:]
    assert len(windows) == 2
    assert '<mark class="f" data-key="old.诉讼.其他">3</mark>' in windows[0] and '<mark class="o">1</mark>' in windows[1]
    assert "<b>" not in html
    near = source_view.text_excerpt_html(text, marks[1:], before=40, after=5)
    assert "&lt;/b&gt;" in near  # markup in the report's text is shown as text, never interpreted


def test_a_blank_cell_is_marked_where_it_is_printed() -> None:
    text = "规章\t\t\t\n行政规范性文件\t34\t34\t146"
    at = text.index("\t") + 1
    html = source_view.text_excerpt_html(text, [source_view.Mark(Evidence(start=at, end=at), True)])
    assert '<mark class="f"><span class="gap">（空白）</span></mark>' in html
    nowhere = source_view.text_excerpt_html(text, [source_view.Mark(Evidence(), True)])
    assert "没有可定位的原文位置" in nowhere
