"""Scanned reports: OCR engines compared on the real reports rendered to images, and the chosen one's speed.

``python benchmarks/ocr_engines.py [--engines pp-ocrv4,tesseract] [--dpi 150,200,300] [--rotated] [SHARED_REAL]``

Each real PDF (default ``../shared/real``) is rasterized and rebuilt as an image-only PDF at each dpi
(and, with ``--rotated``, at 200 dpi turned 1° with JPEG compression), then read end to end by
``xxgk.extract`` with each engine: values right / wrong / missing against the gold file, and seconds
per page (wall, and CPU of this process and its children: the steadier figure on a shared machine).

The engines share xxgk's page layout (ruling grid, cells, line boxes from PP-OCRv4's detector); only
the recognition differs:

* ``pp-ocrv4`` — the default: PP-OCRv4 Chinese recognition, the models inside the rapidocr-onnxruntime wheel;
* ``tesseract`` — Debian's tesseract-ocr with tesseract-ocr-chi-sim (``apt-get install tesseract-ocr
  tesseract-ocr-chi-sim``), every line of a page stacked into one image and read in one call.

The cache is off and pages are read in one process, so every figure is a cold read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor import extract
from extractor.ingest import ocr
from tests import scans

DEFAULT_REAL = ROOT.parent / "shared" / "real"


class TesseractEngine:
    """Tesseract (chi_sim) behind the engine Protocol: PP-OCRv4's line boxes, Tesseract's reading."""

    name = "tesseract"

    def __init__(self) -> None:
        if not shutil.which("tesseract"):
            raise SystemExit("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-chi-sim")
        self._boxes = ocr.RapidEngine()

    def detect(self, image):
        return self._boxes.detect(image)

    def recognize(self, lines, *, alternatives=None):
        import cv2
        import numpy as np

        if not lines:
            return []
        height, gap = 40, 30
        scaled = []
        for img in lines:
            g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            w = max(1, round(g.shape[1] * height / max(1, g.shape[0])))
            scaled.append(cv2.resize(g, (w, height)))
        width = max(s.shape[1] for s in scaled) + 2 * gap
        sheet = np.full((gap + len(scaled) * (height + gap), width), 255, np.uint8)
        for i, s in enumerate(scaled):
            y = gap + i * (height + gap)
            sheet[y:y + height, gap:gap + s.shape[1]] = s
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "lines.png"
            cv2.imwrite(str(path), sheet)
            run = subprocess.run(["tesseract", str(path), "stdout", "-l", "chi_sim", "--psm", "6", "tsv"],
                                 capture_output=True, text=True, check=False)
        words: list[list[tuple[int, str, float]]] = [[] for _ in lines]
        for row in run.stdout.splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) < 12 or not cols[11].strip():
                continue
            left, top, h = int(cols[6]), int(cols[7]), int(cols[9])
            i = (top + h // 2 - gap // 2) // (height + gap)
            if 0 <= i < len(lines):
                words[i].append((left, cols[11].strip(), max(0.0, float(cols[10])) / 100))
        out = []
        for ws in words:
            ws.sort()
            text = "".join(w for _, w, _ in ws)
            probs = tuple(c for _, w, c in ws for _ in w)
            out.append(ocr.Reading(text, probs))
        return out


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(engines: list[str], dpis: list[int], rotated: bool, real: Path) -> list[dict]:
    os.environ["XXGK_OCR_CACHE"] = "off"
    os.environ["XXGK_OCR_WORKERS"] = "1"
    rows = []
    for gold_path in sorted(real.glob("*.gold.json")):
        pdf = gold_path.with_name(gold_path.name.replace(".gold.json", ".pdf"))
        if not pdf.exists():
            continue
        gold = json.loads(gold_path.read_text("utf-8"))["values"]
        variants = [(f"{d} dpi", {"dpi": d}) for d in dpis]
        if rotated:
            variants.append(("200 dpi, 1°, JPEG", {"dpi": 200, "rotate": 1.0, "jpeg": True}))
        for label, kw in variants:
            scan = scans.image_only_pdf(pdf.read_bytes(), **kw)
            for name in engines:
                ocr._ENGINE = TesseractEngine() if name == "tesseract" else ocr.RapidEngine()
                t0, c0 = time.perf_counter(), _cpu()
                result = extract(scan, name=pdf.name)
                wall, cpu = time.perf_counter() - t0, _cpu() - c0
                flat = result.flat()
                right = sum(1 for k, g in gold.items() if k in flat and flat[k] == g)
                wrong = sum(1 for k, g in gold.items() if flat.get(k) is not None and flat[k] != g)
                doubtful = sum(1 for f in result.findings if f.rule == "extract.ocr_doubtful")
                pages = result.document.pages or 1
                row = {"report": pdf.stem, "variant": label, "engine": name, "right": right, "wrong": wrong,
                           "missing": len(gold) - right - wrong, "total": len(gold), "doubtful": doubtful,
                           "s_per_page": round(wall / pages, 2), "cpu_s_per_page": round(cpu / pages, 2)}
                rows.append(row)
                print(f"{row['report']:<30} {label:<18} {name:<10} right {right}/{len(gold)}  wrong {wrong}  "
                      f"doubtful {doubtful}  {row['s_per_page']:.1f} s/page (CPU {row['cpu_s_per_page']:.1f})",
                      flush=True)
    ocr._ENGINE = None
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("real", nargs="?", default=str(DEFAULT_REAL))
    ap.add_argument("--engines", default="pp-ocrv4,tesseract")
    ap.add_argument("--dpi", default="150,200,300")
    ap.add_argument("--rotated", action="store_true")
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()
    ocr.require()
    rows = run(args.engines.split(","), [int(d) for d in args.dpi.split(",")], args.rotated, Path(args.real))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
