"""Values read by OCR: mark them, and hold back every doubtful digit for a person.

OCR lies mostly in digits — 0/8/6, 1/7, a dropped or doubled digit — so a table value read by OCR
gives no value and becomes an ``extract.ocr_doubtful`` finding, with every reading, when

* the engine was unsure of one of its characters (``LOW_CONFIDENCE``), or
* the table's identities fail with the engine's first reading and hold with one of its other
  readings (a runner-up with real probability, ``MIN_ALTERNATIVE``).

The identities only choose between the engine's own readings: a reading is never replaced by a
number the engine did not see, and a sum the report prints wrong stays a report finding. Every value
whose evidence lies in OCR'd text carries an :class:`~schemas.results.OcrSource` (confidence, the
image and box to crop), so the review page can show the crop beside it.
"""

from __future__ import annotations

import bisect

from extractor.document import Document, OcrMark
from extractor.reader.numbers import parse_cell
from extractor.rules import validate
from schemas.results import Evidence, Extraction, Finding, OcrSource, Value

LOW_CONFIDENCE = 0.6  # below this, the weakest character of a cell is a guess
MIN_ALTERNATIVE = 0.02  # a runner-up reading less likely than this is noise, not a doubt
IDENTITY_KINDS = ("sum",)


def review_ocr(document: Document, extraction: Extraction) -> Extraction:
    """The extraction with OCR sources on its evidence and its doubtful OCR'd values held back."""
    if not document.ocr:
        return extraction
    starts = [m.start for m in document.ocr]
    values = {k: _marked(v, document.ocr, starts) for k, v in extraction.values.items()}
    prose = {k: _marked(v, document.ocr, starts) for k, v in extraction.prose_values.items()}
    doubts = list(extraction.doubts)
    template = extraction.template
    readings = {k: _numbers(v) for k, v in values.items() if _source(v) is not None}
    failing = _failing(values, template)
    held: dict[str, tuple[str, list[tuple[str, float, float | int | None]]]] = {}
    for key, options in readings.items():
        src = _source(values[key])
        if src is None or not options:
            continue
        if src.confidence < LOW_CONFIDENCE:
            held[key] = ("low", options)
            continue
        if key in failing and _alternative_fits(key, values, options, template, failing[key]):
            held[key] = ("identity", options)
    for key, (why, options) in held.items():
        v = values[key]
        values[key] = v.model_copy(update={"value": None, "status": "text",
                                           "candidates": [[num] for _, _, num in options if num is not None]})
        doubts.append(_finding(key, v, why, options))
    return extraction.model_copy(update={"values": values, "prose_values": prose, "doubts": doubts})


def _marks_in(ev: Evidence, marks: list[OcrMark], starts: list[int]) -> list[OcrMark]:
    i = bisect.bisect_right(starts, ev.start) - 1
    out = []
    for m in marks[max(0, i):]:
        if m.start >= max(ev.end, ev.start + 1):
            break
        if m.end > ev.start:
            out.append(m)
    return out


def _marked(v: Value, marks: list[OcrMark], starts: list[int]) -> Value:
    evidence = []
    changed = False
    for ev in v.evidence:
        found = _marks_in(ev, marks, starts) if ev.ocr is None else []
        if found:
            weakest = min(found, key=lambda m: m.confidence)
            box = found[0].box if len(found) == 1 else (min(m.box[0] for m in found), min(m.box[1] for m in found),
                                                       max(m.box[2] for m in found), max(m.box[3] for m in found))
            ev = ev.model_copy(update={"ocr": OcrSource(
                confidence=weakest.confidence, source=weakest.source, image=weakest.image, box=box,
                readings=[(t, round(p, 4)) for t, p in found[0].readings] if len(found) == 1 else [])})
            changed = True
        evidence.append(ev)
    return v.model_copy(update={"evidence": evidence}) if changed else v


def _source(v: Value) -> OcrSource | None:
    return next((e.ocr for e in v.evidence if e.ocr is not None), None)


def _numbers(v: Value) -> list[tuple[str, float, float | int | None]]:
    """The cell's readings as (text, probability, number), first the one the reader took; distinct numbers only."""
    src = _source(v)
    if src is None or v.status not in ("number", "dash", "blank"):
        return []
    out: list[tuple[str, float, float | int | None]] = []
    seen: set[object] = set()
    for i, (text, p) in enumerate(src.readings or [(v.raw, src.confidence)]):
        cell = parse_cell(text)
        if cell.status not in ("number", "dash") or (i and p < MIN_ALTERNATIVE):
            continue
        if cell.value in seen:
            continue
        seen.add(cell.value)
        out.append((text, p, cell.value))
    if not out or out[0][2] != v.value:  # the reader took the printed text: keep it first
        out.insert(0, (v.raw, src.confidence, v.value))
    return out


def _failing(values: dict[str, Value], template: str | None) -> dict[str, list[str]]:
    """For each key, the identities (rule names) that fail and involve it."""
    out: dict[str, list[str]] = {}
    for f in validate(values, template=template):
        if f.kind in IDENTITY_KINDS:
            for k in f.keys:
                out.setdefault(k, []).append(f.rule + ":" + ",".join(f.keys))
    return out


def _alternative_fits(key: str, values: dict[str, Value], options: list[tuple[str, float, float | int | None]],
                      template: str | None, failing: list[str]) -> bool:
    """Does another reading of ``key`` make its failing identities hold without breaking another one?"""
    before = {x for fs in _failing(values, template).values() for x in fs}
    for _, _, num in options[1:]:
        trial = dict(values)
        trial[key] = values[key].model_copy(update={"value": num, "status": "number" if num is not None else "dash"})
        after = {x for fs in _failing(trial, template).values() for x in fs}
        if not any(x in after for x in failing) and after <= before:
            return True
    return False


def _finding(key: str, v: Value, why: str, options: list[tuple[str, float, float | int | None]]) -> Finding:
    src = _source(v)
    shown = "、".join(f"“{t}”" for t, _, _ in options)
    reason = (f"识别置信度低（{src.confidence:.0%}）" if why == "low" and src else "另一种识读结果才符合表内勾稽关系")
    message = f"{key} 的扫描数字可能识别有误：{reason}；可能的读法 {shown}，需要人工对照原图确认"
    ev = v.evidence[0] if v.evidence else None
    return Finding(
        rule="extract.ocr_doubtful", kind="extraction", category="extraction", severity="warning",
        message=message, keys=[key], actual=options[0][0],
        evidence={key: list(v.evidence)},
        detail={"readings": [{"text": t, "probability": round(p, 4), "value": num} for t, p, num in options],
                "reason": why, "confidence": src.confidence if src else None,
                "crop": {"source": src.source, "image": src.image, "box": list(src.box) if src.box else None,
                         "page": ev.page if ev else None, "bbox": list(ev.bbox) if ev and ev.bbox else None}
                if src else None},
    )
