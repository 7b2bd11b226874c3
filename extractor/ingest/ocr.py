"""The OCR engine: PP-OCRv4 Chinese text detection and recognition on the CPU, offline.

The models ship inside the ``rapidocr-onnxruntime`` wheel (the ``[ocr]`` extra); nothing is downloaded
at run time. Only rapidocr's ONNX sessions and its DB detector are used: recognition is decoded here
so that every reading keeps what the engine was unsure of — the probability of each character and the
next-best readings of a number (0/8/6, 1/7, a dropped or doubled digit), for a person to choose from.

Why PP-OCRv4 and not Tesseract: on the real reports' table cells it reads more digits right and is
faster per page (README, "Scanned reports"; ``benchmarks/ocr_engines.py``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from extractor._errors import ImageOnlyError
from extractor.settings import settings

Box = tuple[int, int, int, int]  # x0, top, x1, bottom in pixels

REC_HEIGHT = 48  # the recognition model's input height
_BEAM = 8
_NUMERIC = set("0123456789.,-—%/")
_DIGIT_LOOKALIKES = set("〇OoDQUulI|丨｜一－―–_")


@dataclass(frozen=True, slots=True)
class Reading:
    """One recognized text line: the best reading, each character's probability, the runners-up."""

    text: str
    char_probs: tuple[float, ...] = ()
    alternatives: tuple[tuple[str, float], ...] = ()  # other readings and their probabilities, best first
    char_spans: tuple[tuple[float, float], ...] = ()  # each character's x extent as a fraction of the line

    @property
    def confidence(self) -> float:
        """The weakest character's probability: one doubtful digit makes the whole number doubtful."""
        return min(self.char_probs) if self.char_probs else 0.0


class OcrEngine(Protocol):
    """What the page reader needs from an engine: text boxes on a page, readings of line images."""

    name: str

    def detect(self, image: Any) -> list[Box]: ...

    def recognize(self, lines: list[Any], *, alternatives: list[bool] | None = None) -> list[Reading]: ...


def available() -> bool:
    """Is the ``[ocr]`` extra installed?"""
    try:
        import cv2  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def require(detail: str = "") -> None:
    """Raise the one-line error that says how to install OCR when it is missing."""
    if not available():
        raise ImageOnlyError(detail, zh="这是扫描件或图片，需要安装 OCR 组件：pip install 'xxgk[ocr]'",
                             en="a scan or picture needs the OCR extra: pip install 'xxgk[ocr]'")


_ENGINE: OcrEngine | None = None
_LOCK = threading.Lock()


def engine() -> OcrEngine:
    """The process's engine, loaded once (the models take about a second to load)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            require()
            _ENGINE = RapidEngine()
        return _ENGINE


def _threads() -> int:
    """ONNX threads per process: $XXGK_OCR_THREADS, else (0) every core."""
    return settings().ocr.threads


class RapidEngine:
    """PP-OCRv4 detection + recognition through onnxruntime, models from the rapidocr wheel."""

    name = "pp-ocrv4"

    def __init__(self, det_side: int = 1024) -> None:
        from pathlib import Path

        import onnxruntime as ort
        import rapidocr_onnxruntime
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess

        models = Path(rapidocr_onnxruntime.__file__).parent / "models"
        opts = ort.SessionOptions()
        opts.log_severity_level = 4
        opts.enable_cpu_mem_arena = False
        if _threads():
            opts.intra_op_num_threads = _threads()
            opts.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        self._det = ort.InferenceSession(str(models / "ch_PP-OCRv4_det_infer.onnx"), opts, providers=providers)
        self._rec = ort.InferenceSession(str(models / "ch_PP-OCRv4_rec_infer.onnx"), opts, providers=providers)
        meta = self._rec.get_modelmeta().custom_metadata_map
        self.charset = ["<blank>", *meta["character"].splitlines(), " "]
        # a number cell is decoded again over these classes only: "1" against "丨" is no doubt about a digit
        self._numeric = [0] + [i for i, c in enumerate(self.charset) if c in _NUMERIC]
        self._post = DBPostProcess(thresh=0.3, box_thresh=0.5, max_candidates=2000, unclip_ratio=1.6,
                                   use_dilation=True, score_mode="fast")
        self.det_side = det_side

    def detect(self, image: Any) -> list[Box]:
        """Axis-aligned boxes of the text lines on a (deskewed) page image, in its pixels."""
        import cv2
        import numpy as np

        h, w = image.shape[:2]
        scale = min(1.0, self.det_side / max(h, w))
        rh, rw = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
        img = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        small = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_AREA)
        x = (small.astype(np.float32) / 255.0 - 0.5) / 0.5
        x = x.transpose(2, 0, 1)[None]
        pred = self._det.run(None, {self._det.get_inputs()[0].name: x})[0]
        boxes, _scores = self._post(pred, (h, w))
        out: list[Box] = []
        for quad in boxes:
            xs, ys = quad[:, 0], quad[:, 1]
            b = (int(max(0, xs.min())), int(max(0, ys.min())), int(min(w, xs.max() + 1)), int(min(h, ys.max() + 1)))
            if b[2] - b[0] > 3 and b[3] - b[1] > 3:
                out.append(b)
        return out

    def recognize(self, lines: list[Any], *, alternatives: list[bool] | None = None) -> list[Reading]:
        """Read line images (grey or BGR, text filling the height); ``alternatives`` asks for runners-up.

        Short lines (a cell's number) are packed side by side into strips with a gap between them and
        each strip is read once; every line is then decoded from its own stretch of the output. The
        model's cost hardly depends on a strip's width, so a page of 200 cells costs a few calls.
        """
        import numpy as np

        if not lines:
            return []
        want = alternatives or [False] * len(lines)
        normed = [_norm_line(img) for img in lines]
        strips = _pack([a.shape[2] for a in normed])
        out: list[Reading] = [Reading("")] * len(lines)
        order = sorted(range(len(strips)), key=lambda k: strips[k][0])
        batch = 4
        for b in range(0, len(order), batch):
            group = [strips[k] for k in order[b:b + batch]]
            width = max(w for w, _ in group)
            x = np.zeros((len(group), 3, REC_HEIGHT, width), dtype=np.float32)
            for j, (_, items) in enumerate(group):
                for i, x0 in items:
                    x[j, :, :, x0:x0 + normed[i].shape[2]] = normed[i]
            probs = self._rec.run(None, {self._rec.get_inputs()[0].name: x})[0]
            step = width / probs.shape[1]
            for j, (_, items) in enumerate(group):
                for i, x0 in items:
                    a = max(0, math.floor((x0 - _GAP / 2) / step))
                    e = min(probs.shape[1], math.ceil((x0 + normed[i].shape[2] + _GAP / 2) / step))
                    out[i] = self._decode(probs[j, a:e], want[i])
        return out

    def _decode(self, probs: Any, alternatives: bool, numeric: bool = False) -> Reading:
        """Greedy CTC decoding, and for numbers a small prefix beam search for the runners-up."""
        charset = [self.charset[i] for i in self._numeric] if numeric else self.charset
        steps = probs.shape[0]
        best = probs.argmax(axis=1)
        chars: list[str] = []
        cprobs: list[float] = []
        spans: list[tuple[float, float]] = []
        prev = 0
        for t in range(steps):
            c = int(best[t])
            if c != 0 and c != prev:
                chars.append(charset[c] if c < len(charset) else "")
                cprobs.append(float(probs[t, c]))
                spans.append((t / steps, (t + 1) / steps))
            elif c != 0 and c == prev:
                cprobs[-1] = max(cprobs[-1], float(probs[t, c]))
                spans[-1] = (spans[-1][0], (t + 1) / steps)
            prev = c
        text = "".join(chars)
        alts: tuple[tuple[str, float], ...] = ()
        if alternatives and text and _looks_numeric(text) and not numeric:
            sub = probs[:, self._numeric]
            sub = sub / sub.sum(axis=1, keepdims=True)
            r = self._decode(sub, True, numeric=True)
            return Reading(r.text, r.char_probs, r.alternatives, r.char_spans)
        if alternatives and text:
            alts = tuple((s, p) for s, p in _beam(probs, charset) if s != text)[:4]
        return Reading(text, tuple(cprobs), alts, tuple(spans))


_GAP = 24  # pixels of white between two lines packed into one strip (three output steps, plus the margins)
_STRIP = 1600  # the widest strip


def _looks_numeric(text: str) -> bool:
    """A cell that reads as digits, or as shapes a digit or a dash takes (〇, O, U, l, 丨, 一): decode it as a number.

    Digits among a few other Latin letters (a stain read as "S" beside a "5") count too; any Chinese
    character makes it a label.
    """
    s = text.replace(" ", "")
    if not s or len(s) > 12 or any("\u3400" <= ch <= "\u9fff" and ch not in _DIGIT_LOOKALIKES for ch in s):
        return False
    if all(ch in _NUMERIC or ch in _DIGIT_LOOKALIKES for ch in s):
        return any(ch.isdigit() for ch in s) or len(s) <= 3
    return sum(ch.isdigit() for ch in s) > len(s) / 2


def _pack(widths: list[int]) -> list[tuple[int, list[tuple[int, int]]]]:
    """Lines into strips, in their order: (strip width, [(line index, x offset)])."""
    strips: list[tuple[int, list[tuple[int, int]]]] = []
    cur: list[tuple[int, int]] = []
    x = _GAP // 2
    for i, w in enumerate(widths):
        if cur and x + w + _GAP // 2 > _STRIP:
            strips.append((x, cur))
            cur, x = [], _GAP // 2
        cur.append((i, x))
        x += w + _GAP
    if cur:
        strips.append((x, cur))
    return [(int(math.ceil((w - _GAP // 2) / 8) * 8), items) for w, items in strips]


def _norm_line(img: Any) -> Any:
    """A line image resized to the model's height, scaled to [-1, 1], channels first."""
    import cv2
    import numpy as np

    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    h, w = img.shape[:2]
    used = min(_STRIP - _GAP, max(8, math.ceil(REC_HEIGHT * w / max(1, h))))
    resized = cv2.resize(img, (used, REC_HEIGHT), interpolation=cv2.INTER_AREA if h > REC_HEIGHT else cv2.INTER_CUBIC)
    return (resized.astype(np.float32).transpose(2, 0, 1) / 255.0 - 0.5) / 0.5


def _beam(probs: Any, charset: list[str]) -> list[tuple[str, float]]:
    """CTC prefix beam search over each step's likely classes: the readings worth showing a person."""
    import numpy as np

    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}  # prefix → (p ends in blank, p ends in char)
    k = min(4, probs.shape[1])
    top = np.argpartition(probs, -k, axis=1)[:, -k:]
    for t in range(probs.shape[0]):
        row = probs[t]
        if row[0] > 0.9999:  # a sure gap between characters: every beam just carries on
            beams = {k: ((pb + pnb) * float(row[0]), 0.0) for k, (pb, pnb) in beams.items()}
            continue
        likely = [int(c) for c in top[t] if row[c] > 1e-3]
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            for c in likely:
                p = float(row[c])
                if c == 0:
                    e = nxt.setdefault(prefix, [0.0, 0.0])
                    e[0] += (pb + pnb) * p
                    continue
                last = prefix[-1] if prefix else None
                ext = prefix + (c,)
                e = nxt.setdefault(ext, [0.0, 0.0])
                if c == last:
                    e[1] += pb * p  # a repeated character needs a blank between
                    same = nxt.setdefault(prefix, [0.0, 0.0])
                    same[1] += pnb * p
                else:
                    e[1] += (pb + pnb) * p
        ranked = sorted(nxt.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:_BEAM]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    out = [("".join(charset[c] for c in prefix if c < len(charset)), pb + pnb) for prefix, (pb, pnb) in beams.items()]
    out.sort(key=lambda sp: -sp[1])
    return out
