"""Accuracy, time and tokens of the rules, llm and hybrid extractors with the local models.

    python benchmarks/llm_accuracy.py [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b] [--json out.json]

Reports: the seed (examples/) and, when ../shared/real is present, every real report there (the PDFs,
the web pages' texts and HTML), each scored
against its gold file (the share of gold values the extractor got exactly right). Each model is
served by llama-server on loopback (extractor/llm/llama_server.py). The llm run of each report starts from an
empty cache of its own, so its seconds and tokens are those of a first run; the hybrid run reuses the
llm run's answers from that cache (the model part of a hybrid run is the same calls), so its seconds
are the reader's plus the cache look-ups. With ``--compare`` the llm extractor also runs with one call
per row (``rows_per_call=1``, as before one-number rows were read several to a call), from its own empty
cache, in the same run. Prints the load average and a Markdown table with calls, cache hits and tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor import extract
from extractor.llm import llama_server, local_model
from extractor.llm.config import LLMConfig
from extractor.llm.extractor import HybridExtractor, LLMExtractor

SEED = ROOT / "examples" / "2017-old-template-report.txt"
REAL = Path(os.environ.get("XXGK_SHARED", ROOT.parent / "shared")) / "real"


def reports(only: str = "") -> list[tuple[str, Path, dict]]:
    """The seed, then every input of every gold file of the shared real reports (PDFs, page texts, HTML);
    with ``only``, the seed and the inputs whose name ends so (``--only .pdf``: the real PDFs)."""
    out = [("seed 2017 (2008 tpl)", SEED, json.loads(SEED.with_suffix(".gold.json").read_text("utf-8"))["values"])]
    for g in sorted(REAL.glob("*.gold.json")):
        gold = json.loads(g.read_text("utf-8"))
        source = gold.get("source", {})
        for name in source.get("inputs") or [source.get("file") or g.name.replace(".gold.json", ".pdf")]:
            if (g.parent / name).exists() and name.endswith(only):
                out.append((f"{name} ({gold['meta']['template']} tpl)", g.parent / name, gold["values"]))
    return out


def score(flat: dict, gold: dict) -> tuple[int, int]:
    def same(a, b) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return abs(float(a) - float(b)) < 1e-9

    return sum(1 for k, v in gold.items() if k in flat and same(flat[k], v)), len(gold)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(local_model.MODELS))
    ap.add_argument("--json", default=None)
    ap.add_argument("--only", default="", help="the seed and the real inputs whose name ends so (e.g. .pdf)")
    ap.add_argument("--concurrency", type=int, default=4, help="calls at once (xxgk llm serve starts 4 slots)")
    ap.add_argument("--compare", action="store_true",
                    help="also the llm extractor with one call per row (as before one-number rows were grouped)")
    args = ap.parse_args()
    load_before = os.getloadavg()
    rows: list[dict] = []
    for name, path, gold in reports(args.only):
        t0 = time.perf_counter()
        r = extract(path)
        ok, n = score(r.flat(), gold)
        flat = r.flat()
        rows.append({"report": name, "extractor": "rules", "model": "—", "right": ok, "total": n,
                         "seconds": time.perf_counter() - t0, "calls": 0, "tokens": 0,
                         "wrong": [k for k, v in gold.items() if k in flat and score({k: flat[k]}, {k: v})[0] == 0]})
    for model in args.models.split(","):
        reason = llama_server.unavailable_reason(model)
        if reason:
            print(f"skipping {model}: {reason}", file=sys.stderr)
            continue
        with llama_server.start_server(model, parallel=args.concurrency) as server, tempfile.TemporaryDirectory() as cache:
            for i, (name, path, gold) in enumerate(reports(args.only)):
                cfg = LLMConfig(base_url=server.base_url, model=server.model_name, api_key="local",
                                concurrency=args.concurrency, cache=True, cache_dir=f"{cache}/{i}", timeout=600)
                extractors: list = [LLMExtractor(cfg), HybridExtractor(cfg)]
                if args.compare:  # its own cache: a first run as well
                    extractors.append(LLMExtractor(replace(cfg, cache_dir=f"{cache}/{i}-per-row"), rows_per_call=1))
                for ext in extractors:
                    t0 = time.perf_counter()
                    r = extract(path, extractor=ext)
                    secs = time.perf_counter() - t0
                    ok, n = score(r.flat(), gold)
                    flat = r.flat()
                    wrong = [k for k, v in gold.items() if k in flat and score({k: flat[k]}, {k: v})[0] == 0]
                    label = ext.name if getattr(ext, "rows_per_call", 0) != 1 else "llm, a call per row"
                    rows.append({"report": name, "extractor": label, "model": model, "right": ok, "total": n, "seconds": secs,
                                     "calls": r.usage.calls, "cached": r.usage.cached_calls,
                                     "tokens": r.usage.prompt_tokens + r.usage.completion_tokens,
                                     "prompt_tokens": r.usage.prompt_tokens, "completion_tokens": r.usage.completion_tokens,
                                     "conflicts": sum(1 for f in r.findings if f.rule == "extract.conflict"),
                                     "ungrounded": sum(1 for v in r.values.values() if not v.grounded),
                                     "wrong": wrong})
                    print(f"{model} {ext.name} {name}: {ok}/{n} in {secs:.1f}s", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    print(f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; {os.cpu_count()} cores, "
          f"{args.concurrency} calls at once\n")
    print("| report | extractor | model | right | wrong | seconds | model calls | cache hits | prompt tokens | "
          "completion tokens |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['report']} | {r['extractor']} | {r['model']} | {r['right']}/{r['total']} | {len(r.get('wrong', []))} | "
              f"{r['seconds']:.1f} | {r['calls']} | {r.get('cached', 0)} | {r.get('prompt_tokens', 0)} | "
              f"{r.get('completion_tokens', 0)} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
