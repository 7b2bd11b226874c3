"""Benchmark the offline models on this machine: joining, start-up, speed, memory, and table 三 extraction.

    python benchmarks/local_llm.py [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b] [--out results.json]

Per model: seconds to join + verify the parts (into a fresh temp dir), seconds until ``/health`` answers,
prompt and generation tokens/s (llama-server's own timings), the server's resident memory, and two ways to
read table 三 (收到和处理政府信息公开申请情况) of the real reports in /work/shared/real with instructor's
JSON_SCHEMA mode: one call per row (7 integers) and one call for the whole table. Accuracy is per cell
against the gold files; the non-zero cells are counted separately since most of these cells are 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import instructor
import openai
from pydantic import BaseModel, Field, create_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.llm import llama_server, local_model
from schemas import catalog

REAL = Path("/work/shared/real")
SYSTEM = (
    "你是政府信息公开年度报告的数据录入员。只抄录表格中印出的数字，不要计算，不要猜测。"
    "空白单元格填 0。按列的顺序逐个对应。"
)


def _rss_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    return out


def _table3(gold: dict[str, Any]) -> list[tuple[str, str, list[int]]]:
    """(row id, printed label, 7 values) for every row of table 三 that the gold file has."""
    cols = catalog.columns("t3", "2021")
    rows = []
    for row in catalog.rows("t3", "2021"):
        keys = [f"t3.{row.id}.{c.id}" for c in cols]
        if row.header_only or not all(k in gold for k in keys):
            continue
        rows.append((row.id, row.label, [int(gold[k]) for k in keys]))
    return rows


def _synthetic(rows: list[tuple[str, str, list[int]]], seed: int = 7) -> list[tuple[str, str, list[int]]]:
    """The same row labels with every column filled (0-30, total = sum): a harder test of column alignment."""
    import random

    rng = random.Random(seed)
    out = []
    for rid, label, _values in rows:
        six = [rng.choice([0, 0, rng.randint(1, 9), rng.randint(10, 30)]) for _ in range(6)]
        out.append((rid, label, [*six, sum(six)]))
    return out


def _header() -> str:
    return "项目 | " + " | ".join(c.label for c in catalog.columns("t3", "2021"))


def _line(label: str, values: list[int]) -> str:
    return f"{label} | " + " | ".join(str(v) for v in values)


def _row_model() -> type[BaseModel]:
    fields: dict[str, Any] = {c.id: (int, Field(description=c.label)) for c in catalog.columns("t3", "2021")}
    return create_model("T3Row", **fields)


def _client(server: llama_server.LocalServer) -> Any:
    raw = openai.OpenAI(
        base_url=server.base_url, api_key="local", http_client=httpx.Client(trust_env=False, timeout=600),
        max_retries=0,
    )
    return instructor.from_openai(raw, mode=instructor.Mode.JSON_SCHEMA), raw


def _speed(raw: openai.OpenAI, server: llama_server.LocalServer, table_text: str) -> dict[str, float]:
    """Prompt and generation speed from llama-server's own timings (a ~1.5k-token prompt, 128 tokens out)."""
    prompt = (table_text + "\n") * 3 + "请用中文逐行复述上表。"
    resp = httpx.post(
        server.base_url + "/chat/completions",
        json={"model": server.model_name, "messages": [{"role": "user", "content": prompt}],
              "max_tokens": 128, "temperature": 0, "cache_prompt": False},
        timeout=600, trust_env=False,
    ).json()
    t = resp["timings"]
    return {
        "prompt_tokens": t["prompt_n"], "prompt_tok_per_s": round(t["prompt_per_second"], 1),
        "gen_tokens": t["predicted_n"], "gen_tok_per_s": round(t["predicted_per_second"], 1),
    }


def _per_row(client: Any, server: llama_server.LocalServer, rows: list[tuple[str, str, list[int]]]) -> dict[str, Any]:
    model = _row_model()
    right = total = nz_right = nz_total = 0
    secs: list[float] = []
    wrong: list[str] = []
    for _rid, label, values in rows:
        text = _header() + "\n" + _line(label, values)
        t0 = time.monotonic()
        got = client.chat.completions.create(
            model=server.model_name, response_model=model, temperature=0, max_tokens=200, max_retries=0,
            messages=[{"role": "system", "content": SYSTEM},
                      {"role": "user", "content": f"表格的一行：\n{text}\n按列名填写这一行的 7 个数字。"}],
        )
        secs.append(time.monotonic() - t0)
        out = [getattr(got, c.id) for c in catalog.columns("t3", "2021")]
        total, right, nz_total, nz_right = _tally(values, out, (total, right, nz_total, nz_right))
        if out != values:
            wrong.append(f"{label}: want {values} got {out}")
    return {
        "rows": len(rows), "cells": total, "cells_right": right, "nonzero_cells": nz_total,
        "nonzero_right": nz_right, "s_per_call_median": round(statistics.median(secs), 2),
        "s_total": round(sum(secs), 1), "wrong_rows": wrong[:5],
    }


def _tally(want: list[int], got: list[Any], counts: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Cells, cells right, non-zero cells, non-zero cells right: ``counts`` plus this row."""
    total, right, nz_total, nz_right = counts
    for w, h in zip(want, got):
        total, right = total + 1, right + (w == h)
        if w:
            nz_total, nz_right = nz_total + 1, nz_right + (w == h)
    return total, right, nz_total, nz_right


def _whole(client: Any, server: llama_server.LocalServer, rows: list[tuple[str, str, list[int]]]) -> dict[str, Any]:
    row_model = _row_model()
    fields: dict[str, Any] = {
        f"r{i:02d}": (row_model, Field(description=label)) for i, (_rid, label, _v) in enumerate(rows, 1)
    }
    table_model = create_model("T3Table", **fields)
    numbered = "\n".join(f"r{i:02d} {_line(label, v)}" for i, (_rid, label, v) in enumerate(rows, 1))
    t0 = time.monotonic()
    got = client.chat.completions.create(
        model=server.model_name, response_model=table_model, temperature=0, max_tokens=3000, max_retries=0,
        messages=[{"role": "system", "content": SYSTEM},
                  {"role": "user", "content": f"表三（每行前的 rNN 是行号）：\n{_header()}\n{numbered}\n"
                                              "按行号和列名填写每一行的 7 个数字。"}],
    )
    secs = time.monotonic() - t0
    right = total = nz_right = nz_total = 0
    for i, (_rid, _label, values) in enumerate(rows, 1):
        out = [getattr(getattr(got, f"r{i:02d}"), c.id) for c in catalog.columns("t3", "2021")]
        total, right, nz_total, nz_right = _tally(values, out, (total, right, nz_total, nz_right))
    return {"rows": len(rows), "cells": total, "cells_right": right, "nonzero_cells": nz_total,
            "nonzero_right": nz_right, "s": round(secs, 1)}


def bench(name: str, only: set[str] | None = None) -> dict[str, Any]:
    model = local_model.get_model(name)
    out: dict[str, Any] = {"model": name, "loadavg_before": [round(x, 1) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        local_model.ensure_model(model, directory=Path(tmp))
        out["assemble_s"] = round(time.monotonic() - t0, 1)
    local_model.ensure_model(model)
    server = llama_server.start_server(model, timeout=300)
    try:
        out["server"] = str(server.binary)
        out["start_s"] = round(server.started_in or 0, 1)
        out["rss_after_load_kib"] = _rss_kib(server.process.pid)["VmRSS"]  # type: ignore[union-attr]
        client, raw = _client(server)
        golds = sorted(REAL.glob("*.gold.json"))
        reports = [(g.name.removesuffix(".gold.json"), _table3(json.loads(g.read_text())["values"])) for g in golds]
        reports.append(("synthetic", _synthetic(reports[0][1])))
        if only:
            reports = [r for r in reports if r[0] in only]
        out["speed"] = _speed(raw, server, _header() + "\n" + "\n".join(_line(lb, v) for _r, lb, v in reports[0][1]))
        for report, rows in reports:
            out[f"{report}.per_row"] = _per_row(client, server, rows)
            print(report, "per row", out[f"{report}.per_row"], file=sys.stderr, flush=True)
            out[f"{report}.whole_table"] = _whole(client, server, rows)
            print(report, "whole table", out[f"{report}.whole_table"], file=sys.stderr, flush=True)
        out["rss_peak_kib"] = _rss_kib(server.process.pid)["VmHWM"]  # type: ignore[union-attr]
        out["loadavg_after"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(n for n in local_model.MODELS if not local_model.missing_packages(local_model.MODELS[n])))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--reports", default="", help="comma-separated report names (default: all + synthetic)")
    args = parser.parse_args()
    only = {r for r in args.reports.split(",") if r} or None
    results = []
    for name in [n for n in args.models.split(",") if n]:
        res = bench(name, only)
        print(json.dumps(res, ensure_ascii=False, indent=2), flush=True)
        results.append(res)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
