"""One scanned page image → text lines and ruled tables, every piece with its pixel box and reading.

The steps, each for a reason:

* **deskew** — a page scanned 1° askew breaks every ruling line into steps; the angle is the one
  whose row profile is sharpest, and the page is turned back before anything else;
* **rules** — long horizontal and vertical runs of ink (morphological opening) that cross each other
  are a table's ruling; a dash or an underline touches no rule of the other direction and stays text;
* **grid** — the rules' positions give rows and columns, and a missing rule between two slots merges
  them (a spanning cell), so a table comes out as the same grid a PDF's vector ruling gives;
* **text** — the rules are wiped out of the image and the detector finds the text lines; a line in
  a table goes to the cell its centre is in, clipped to it; a cell with ink but no detected line
  (a lone small "0" is easy to miss) is read as one line from its ink box;
* **recognition** — every line image is read once, numbers with their runners-up.

Boxes are returned in the pixels of the page image as given (before deskewing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from extractor.ingest.ocr import Box, OcrEngine, Reading

_NUMBERISH = set("0123456789.,-—–/%")


@dataclass(slots=True)
class ScanLine:
    box: Box
    reading: Reading

    @property
    def text(self) -> str:
        return self.reading.text


@dataclass(slots=True)
class ScanCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box
    lines: list[ScanLine] = field(default_factory=list)


@dataclass(slots=True)
class ScanTable:
    box: Box
    n_rows: int
    n_cols: int
    cells: list[ScanCell]


@dataclass(slots=True)
class ScanPage:
    """What OCR saw on one page image."""

    width: int
    height: int
    angle: float  # degrees the page was turned back by
    tables: list[ScanTable]
    lines: list[ScanLine]  # text outside the tables
    ink: float  # share of dark pixels: a blank page has next to none


# --------------------------------------------------------------------------------------- entry point
def read_page(gray: Any, engine: OcrEngine) -> ScanPage:
    """Lay out and read one greyscale page image (uint8, dark text on light paper)."""
    import cv2
    import numpy as np

    h, w = gray.shape[:2]
    bw0 = _binarize(gray)
    ink = float(bw0.mean()) / 255.0
    if ink < 0.0005:
        return ScanPage(w, h, 0.0, [], [], ink)
    angle = _skew_angle(bw0)
    if abs(angle) >= 0.05:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        gray = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        inv = cv2.invertAffineTransform(m)
    else:
        angle, inv = 0.0, None
    bw = _binarize(gray)
    unit = _text_unit(bw)
    hmask, vmask = _rules(bw, unit)
    clean = gray.copy()
    wipe = cv2.dilate(cv2.bitwise_or(hmask, vmask), np.ones((3, 3), np.uint8))
    clean[wipe > 0] = 255
    tables = [t for t in (_grid(hmask, vmask, region, unit) for region in _table_regions(hmask, vmask, unit)) if t]
    boxes = engine.detect(clean)
    free: list[Box] = []
    cell_boxes: dict[int, list[Box]] = {}
    all_cells = [c for t in tables for c in t.cells]
    for b in boxes:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        pieces = []
        for i, c in enumerate(all_cells):  # a line the detector ran across cell borders is cut at them
            cb = c.box
            piece = (max(b[0], cb[0] + 1), max(b[1], cb[1] + 1), min(b[2], cb[2] - 1), min(b[3], cb[3] - 1))
            if piece[2] - piece[0] >= 0.3 * unit and piece[3] - piece[1] >= 0.4 * (b[3] - b[1]):
                pieces.append((i, piece))
        if pieces:
            for i, piece in pieces:
                cell_boxes.setdefault(i, []).append(piece)
        elif not any(_inside(cx, cy, t.box) for t in tables):
            free.append(b)
    bw_clean = _binarize(clean)
    jobs: list[tuple[ScanCell | None, Box]] = []
    for i, cell in enumerate(all_cells):
        for b in _cell_lines(bw_clean, cell.box, cell_boxes.get(i, []), unit):
            jobs.append((cell, b))
    for b in free:
        t = _tighten(bw_clean, b, unit)
        if t:
            jobs.append((None, t))
    # a column of characters (a merged cell's label set one character per line) is read a character at a time
    lines_of = [_characters(bw_clean, b) if _vertical(b, unit) else [b] for _, b in jobs]
    flat = [p for ps in lines_of for p in ps]
    want = [owner is not None for (owner, _), ps in zip(jobs, lines_of) for _ in ps]
    got = iter(engine.recognize([_crop(clean, b) for b in flat], alternatives=want))
    lines: list[ScanLine] = []
    for (owner, b), ps in zip(jobs, lines_of):
        parts = [next(got) for _ in ps]
        r = parts[0] if len(parts) == 1 else Reading(
            "".join(p.text.strip() for p in parts), tuple(c for p in parts for c in p.char_probs))
        r = Reading(r.text.strip(), r.char_probs, r.alternatives, r.char_spans) if r.text != r.text.strip() else r
        if not r.text:
            continue
        line = ScanLine(b, r)
        if owner is None:
            lines.append(line)
        else:
            owner.lines.append(line)
    page = ScanPage(w, h, angle, tables, lines, ink)
    if inv is not None:
        _unrotate(page, inv)
    return page


# --------------------------------------------------------------------------------------- pixels
def _binarize(gray: Any) -> Any:
    """Ink as 255 on 0 (Otsu, so a grey scan and a JPEG's halo both split cleanly)."""
    import cv2

    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return bw


def _skew_angle(bw: Any) -> float:
    """The small rotation (±3°) that makes the rows of ink sharpest."""
    import cv2
    import numpy as np

    h, w = bw.shape
    f = min(1.0, 800 / max(h, w))
    small = cv2.resize(bw, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape

    def score(a: float) -> float:
        m = cv2.getRotationMatrix2D((sw / 2, sh / 2), a, 1.0)
        rot = cv2.warpAffine(small, m, (sw, sh), flags=cv2.INTER_NEAREST, borderValue=0)
        prof = rot.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(prof)).sum())

    best = max((a / 2 for a in range(-6, 7)), key=score)
    best = max((best + a / 20 for a in range(-10, 11)), key=score)
    return best


def _text_unit(bw: Any) -> float:
    """About one character's height in pixels, from the sizes of the ink's connected pieces."""
    import cv2
    import numpy as np

    n, _, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    if n <= 1:
        return 20.0
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    ws = stats[1:, cv2.CC_STAT_WIDTH]
    size = np.maximum(hs, ws)
    keep = size[(size >= 6) & (size <= bw.shape[0] / 12) & (hs < 4 * ws) & (ws < 4 * hs)]
    if len(keep) < 5:
        return 20.0
    return float(max(8.0, np.percentile(keep, 75)))


def _rules(bw: Any, unit: float) -> tuple[Any, Any]:
    """Horizontal and vertical ruling lines; each must touch a line of the other direction."""
    import cv2
    import numpy as np

    length = max(15, int(2.5 * unit))
    h = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    v = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    # close hairline gaps of a faint scan
    h = cv2.morphologyEx(h, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1)))
    v = cv2.morphologyEx(v, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    grow = np.ones((7, 7), np.uint8)
    return _touching(h, cv2.dilate(v, grow)), _touching(v, cv2.dilate(h, grow))


def _touching(mask: Any, other: Any) -> Any:
    """The connected pieces of ``mask`` that meet ``other``."""
    import cv2
    import numpy as np

    n, labels = cv2.connectedComponents(mask, connectivity=8)
    if n <= 1:
        return mask
    hit = np.unique(labels[(other > 0) & (mask > 0)])
    keep = np.zeros(n, np.uint8)
    keep[hit[hit > 0]] = 255
    return keep[labels]


def _table_regions(hmask: Any, vmask: Any, unit: float) -> list[Box]:
    import cv2
    import numpy as np

    both = cv2.dilate(cv2.bitwise_or(hmask, vmask), np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=8)
    out: list[Box] = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        if w >= 3 * unit and h >= 1.5 * unit:
            out.append((x, y, x + w, y + h))
    return sorted(out, key=lambda b: (b[1], b[0]))


def _positions(mask: Any, axis: int, tol: float) -> list[tuple[float, int, int]]:
    """Ruling lines as (position, start, end): horizontal lines (axis=0) by y, vertical by x."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    lines: list[tuple[float, int, int]] = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        if axis == 0:
            lines.append((y + h / 2, x, x + w))
        else:
            lines.append((x + w / 2, y, y + h))
    return lines


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _grid(hmask: Any, vmask: Any, region: Box, unit: float) -> ScanTable | None:
    """The table in one region of ruling: rows × columns, spanning cells where a rule is missing."""
    x0, y0, x1, y1 = region
    hsub, vsub = hmask[y0:y1, x0:x1], vmask[y0:y1, x0:x1]
    hl = [(p + y0, a + x0, b + x0) for p, a, b in _positions(hsub, 0, 3)]
    vl = [(p + x0, a + y0, b + y0) for p, a, b in _positions(vsub, 1, 3)]
    if len(hl) < 1 or len(vl) < 2:
        return None
    tol = max(3.0, unit * 0.3)
    ys = _cluster([p for p, _, _ in hl], tol)
    xs = _cluster([p for p, _, _ in vl], tol)
    # a table split over pages has an open edge: close it where the vertical rules end
    top, bottom = min(a for _, a, _ in vl), max(b for _, _, b in vl)
    if ys[0] - top > 0.8 * unit:
        ys.insert(0, float(top))
    if bottom - ys[-1] > 0.8 * unit:
        ys.append(float(bottom))
    left, right = min(a for _, a, _ in hl), max(b for _, _, b in hl)
    if xs[0] - left > 0.8 * unit:
        xs.insert(0, float(left))
    if right - xs[-1] > 0.8 * unit:
        xs.append(float(right))
    ys = [y for i, y in enumerate(ys) if i == 0 or y - ys[i - 1] > 0.6 * unit]
    xs = [x for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] > 0.6 * unit]
    nr, nc = len(ys) - 1, len(xs) - 1
    if nr < 1 or nc < 2:
        return None

    def has_v(x: float, ya: float, yb: float) -> bool:
        span = yb - ya
        cover = sum(max(0.0, min(b, yb) - max(a, ya)) for p, a, b in vl if abs(p - x) <= tol)
        return cover >= 0.5 * span

    def has_h(y: float, xa: float, xb: float) -> bool:
        span = xb - xa
        cover = sum(max(0.0, min(b, xb) - max(a, xa)) for p, a, b in hl if abs(p - y) <= tol)
        return cover >= 0.5 * span

    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not has_v(xs[c + 1], ys[r], ys[r + 1]):
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not has_h(ys[r + 1], xs[c], xs[c + 1]):
                parent[find((r + 1) * nc + c)] = find(r * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    cells: list[ScanCell] = []
    for slots in groups.values():
        r0, r1 = min(r for r, _ in slots), max(r for r, _ in slots)
        c0, c1 = min(c for _, c in slots), max(c for _, c in slots)
        box = (int(xs[c0]), int(ys[r0]), int(xs[c1 + 1]), int(ys[r1 + 1]))
        cells.append(ScanCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, box))
    cells.sort(key=lambda c: (c.row, c.col))
    return ScanTable((int(xs[0]), int(ys[0]), int(xs[-1]), int(ys[-1])), nr, nc, cells)


def _cell_lines(bw: Any, box: Box, pieces: list[Box], unit: float) -> list[Box]:
    """The text lines of one cell, each as wide as its ink in the cell.

    The detector says where the lines are (which rows of the cell); each line then takes all the ink
    of its rows across the cell, so a digit the detector left outside its box ("671" boxed as "71")
    is not lost, and ink in rows no detected line covers is read as a line of its own.
    """
    import numpy as np

    inner = _shrink(box, 2)
    if inner[2] - inner[0] < 2 or inner[3] - inner[1] < 2:
        return []
    bands: list[list[int]] = []
    for b in sorted(pieces, key=lambda b: b[1]):
        if bands and b[1] < bands[-1][1] - 0.3 * (b[3] - b[1]):
            bands[-1][1] = max(bands[-1][1], b[3])
        else:
            bands.append([b[1], b[3]])
    pad = int(0.15 * unit)
    lines: list[Box] = []
    for k, (a, e) in enumerate(bands):
        top = max(inner[1], a - pad, bands[k - 1][1] if k else inner[1])
        bottom = min(inner[3], e + pad, bands[k + 1][0] if k + 1 < len(bands) else inner[3])
        t = _tighten(bw, (inner[0], top, inner[2], bottom), unit)
        if t:
            lines.append(t)
    rows = bw[inner[1]:inner[3], inner[0]:inner[2]].max(axis=1) > 0
    for t in lines:
        rows[max(0, t[1] - inner[1]):max(0, t[3] - inner[1])] = False
    runs = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    for a, e in zip(runs[::2], runs[1::2]):  # ink no detected line covers
        t = _tighten(bw, (inner[0], inner[1] + int(a), inner[2], inner[1] + int(e)), unit)
        if t and t[3] - t[1] >= 0.4 * unit:
            lines.append(t)
    return [r for t in sorted(lines, key=lambda t: (t[1], t[0])) for r in _text_rows(bw, t, unit)]


def _inside(x: float, y: float, b: Box) -> bool:
    return b[0] <= x < b[2] and b[1] <= y < b[3]


def _shrink(b: Box, d: int) -> Box:
    return (b[0] + d, b[1] + d, b[2] - d, b[3] - d)


def _tighten(bw: Any, b: Box, unit: float) -> Box | None:
    """The box around the ink inside ``b`` (specks ignored), or None when there is none."""
    import cv2
    import numpy as np

    x0, y0, x1, y1 = max(0, b[0]), max(0, b[1]), min(bw.shape[1], b[2]), min(bw.shape[0], b[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    sub = bw[y0:y1, x0:x1]
    n, _, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    speck = max(3, int(0.0125 * unit * unit))
    keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= speck]
    if not keep:
        return None
    xs0 = min(int(stats[i, 0]) for i in keep)
    ys0 = min(int(stats[i, 1]) for i in keep)
    xs1 = max(int(stats[i, 0] + stats[i, 2]) for i in keep)
    ys1 = max(int(stats[i, 1] + stats[i, 3]) for i in keep)
    if ys1 - ys0 < max(4, 0.25 * unit) and xs1 - xs0 < max(4, 0.25 * unit):
        return None  # a dot of dust, not a character
    del np
    return (x0 + xs0, y0 + ys0, x0 + xs1, y0 + ys1)


def _text_rows(bw: Any, b: Box, unit: float) -> list[Box]:
    """A box that holds several printed lines (two lines of a narrow header cell) cut into one box per line."""
    if b[3] - b[1] < 1.6 * unit or _vertical(b, unit):
        return [b]
    import numpy as np

    rows = np.flatnonzero(bw[b[1]:b[3], b[0]:b[2]].max(axis=1) > 0)
    if len(rows) == 0:
        return [b]
    runs: list[list[int]] = [[int(rows[0]), int(rows[0])]]
    for r in rows[1:]:
        if r <= runs[-1][1] + 1:
            runs[-1][1] = int(r)
        else:
            runs.append([int(r), int(r)])
    merged: list[list[int]] = []
    for a, e in runs:  # the strokes of one character (三, 二) are one line
        if merged and (a - merged[-1][1] < 0.2 * unit or e - a < 0.45 * unit or merged[-1][1] - merged[-1][0] < 0.45 * unit):
            merged[-1][1] = e
        else:
            merged.append([a, e])
    if len(merged) < 2:
        return [b]
    out = []
    for a, e in merged:
        t = _tighten(bw, (b[0], b[1] + a, b[2], b[1] + e + 1), unit)
        if t:
            out.append(t)
    return out or [b]


def _vertical(b: Box, unit: float) -> bool:
    w, h = b[2] - b[0], b[3] - b[1]
    return h > 2.5 * w and w < 1.6 * unit


def _characters(bw: Any, b: Box) -> list[Box]:
    """A column of characters cut into one box per character (ink rows joined up to a square)."""
    import numpy as np

    x0, y0, x1, y1 = b
    rows = np.flatnonzero(bw[y0:y1, x0:x1].max(axis=1) > 0)
    if len(rows) == 0:
        return [b]
    runs: list[list[int]] = [[int(rows[0]), int(rows[0])]]
    for r in rows[1:]:
        if r == runs[-1][1] + 1:
            runs[-1][1] = int(r)
        else:
            runs.append([int(r), int(r)])
    side = 1.15 * (x1 - x0)
    chars: list[list[int]] = []
    for a, e in runs:
        if chars and e - chars[-1][0] + 1 <= side:
            chars[-1][1] = e
        else:
            chars.append([a, e])
    return [(x0, y0 + a, x1, y0 + e + 1) for a, e in chars]


def _crop(gray: Any, b: Box) -> Any:
    """A line image with a margin the recogniser likes: a sliver above and below, a little more at the sides."""
    import cv2

    x0, y0, x1, y1 = b
    h = y1 - y0
    mv, mh = max(1, int(0.15 * h)), max(2, int(0.2 * h))
    sub = gray[y0:y1, x0:x1]
    return cv2.copyMakeBorder(sub, mv, mv, mh, mh, cv2.BORDER_CONSTANT, value=255)


def _unrotate(page: ScanPage, inv: Any) -> None:
    """Map every box back to the page image as given (the bounding box of the turned-back corners)."""

    def back(b: Box) -> Box:
        pts = [(b[0], b[1]), (b[2], b[1]), (b[0], b[3]), (b[2], b[3])]
        xs = [inv[0][0] * x + inv[0][1] * y + inv[0][2] for x, y in pts]
        ys = [inv[1][0] * x + inv[1][1] * y + inv[1][2] for x, y in pts]
        return (math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys)))

    for t in page.tables:
        t.box = back(t.box)
        for c in t.cells:
            c.box = back(c.box)
            for ln in c.lines:
                ln.box = back(ln.box)
    for ln in page.lines:
        ln.box = back(ln.box)


def is_numberish(text: str) -> bool:
    """A cell value rather than a label: digits and the marks that go with them."""
    s = text.replace(" ", "")
    return bool(s) and all(ch in _NUMBERISH for ch in s) and any(ch.isdigit() for ch in s)
