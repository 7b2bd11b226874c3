"""The eval report: markdown tables, a JSON file and a chart of accuracy by layout and extractor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals import pairs as pair_report
from evals.metrics import Totals, by_key, group
from evals.pairs import PairScore
from evals.runner import EvalRun

_HEAD = "| {dims} | reports | values right | wrong | missing | invented | exact reports | rule recall | false findings on clean | s/report | tokens/report |"


def _row(names: tuple[str, ...], t: Totals) -> str:
    return (f"| {' | '.join(names)} | {t.cases} | {t.right}/{t.total} = {t.accuracy:.1f}% | {t.wrong} | {t.missing} | "
            f"{t.invented} | {t.exact_rate:.0f}% | {t.raised}/{t.expected_findings} = {t.recall:.0f}% | "
            f"{t.false_on_clean} in {t.clean_cases} | {t.seconds / t.cases if t.cases else 0:.2f} | "
            f"{t.tokens / t.cases if t.cases else 0:.0f} |")


def _table(run: EvalRun, *dims: str) -> str:
    header = _HEAD.format(dims=" | ".join(dims))
    sep = "|" + "---|" * (len(dims) + 10)
    lines = [header, sep]
    lines += [_row(k, t) for k, t in group(run.scores, *dims).items()]
    return "\n".join(lines)


def overall(run: EvalRun, origin: str | None = None) -> dict[str, Totals]:
    """Totals per extractor (of one origin's cases only, when given)."""
    scores = [s for s in run.scores if origin is None or s.origin == origin]
    return {k[0]: t for k, t in group(scores, "extractor").items()}


def real_tier(run: EvalRun) -> str:
    """The real reports, one line each and first: what users bring is the measure."""
    real = [s for s in run.scores if s.origin == "real"]
    if not real:
        return ""
    head = ("| report | template | layout | extractor | values right | wrong | left to a person | not read | "
            "expected findings raised | findings not expected |")
    lines = ["## Real reports", "", head, "|---|---|---|---|---|---|---|---|---|---|"]
    for s in real:
        lines.append(f"| {s.slug} | {s.template} | {s.layout} | {s.extractor} | {s.right}/{s.total} | {s.wrong} | "
                     f"{s.undecided} | {s.missing - s.undecided} | {s.raised}/{s.expected_findings} | "
                     f"{len(s.false)} |")
    for name, t in overall(run, "real").items():
        lines.append(f"| **all {t.cases}** | | | {name} | {t.right}/{t.total} = {t.accuracy:.1f}% | {t.wrong} | "
                     f"{t.undecided} | {t.unread} | {t.raised}/{t.expected_findings} | {t.false_on_clean} |")
    note = ("*Left to a person*: digits printed run together that more than one split fits, no identity of the "
            "report deciding; the reader gives the candidates (the printed value among them) and asks.")
    lines += ["", note, ""]
    return "\n".join(lines)


def to_markdown(run: EvalRun, command: str = "", pairs: list[PairScore] | None = None) -> str:
    parts = ["# xxgk eval", ""]
    if command:
        parts += [f"Reproduce: `{command}`", ""]
    tier = real_tier(run)
    if tier:
        parts += [tier]
    parts += ["## By extractor", "", _table(run, "extractor"), ""]
    if pairs:
        parts += [pair_report.to_markdown(pairs)]
    parts += ["## By template × layout × extractor", "", _table(run, "template", "layout", "extractor"), ""]
    parts += ["## By origin", "", _table(run, "origin", "extractor"), ""]
    tables = by_key(run.scores, "table")
    parts += ["## By table", "", "| table | right | wrong | missing | invented |", "|---|---|---|---|---|"]
    parts += [f"| {k} | {v['right']} | {v['wrong']} | {v['missing']} | {v['invented']} |" for k, v in tables.items()]
    worst = sorted(((k, v) for k, v in by_key(run.scores).items() if v["wrong"] + v["missing"] + v["invented"]),
                   key=lambda kv: -(kv[1]["wrong"] + kv[1]["missing"] + kv[1]["invented"]))[:25]
    if worst:
        parts += ["", "## Keys most often wrong", "", "| key | right | wrong | missing | invented |", "|---|---|---|---|---|"]
        parts += [f"| {k} | {v['right']} | {v['wrong']} | {v['missing']} | {v['invented']} |" for k, v in worst]
    missed = [(s.slug, s.extractor, m) for s in run.scores for m in s.missed]
    if missed:
        parts += ["", "## Expected findings not raised", ""]
        parts += [f"- {slug} ({ex}): {m.get('rule')} {', '.join(m.get('keys', [])[:3])}" for slug, ex, m in missed[:50]]
    false = [(s.slug, s.extractor, f) for s in run.scores if s.clean for f in s.false]
    if false:
        parts += ["", "## Findings raised on clean cases", ""]
        parts += [f"- {slug} ({ex}): {f}" for slug, ex, f in false[:50]]
    failed = [s for s in run.scores if s.error]
    if failed:
        parts += ["", "## Cases that could not be read", ""] + [f"- {s.slug}: {s.error}" for s in failed]
    return "\n".join(parts) + "\n"


def to_json(run: EvalRun, pairs: list[PairScore] | None = None) -> dict[str, Any]:
    return {
        "seconds": round(run.seconds, 2),
        **({"year_pairs": pair_report.to_json(pairs)} if pairs else {}),
        "real": {k: t.as_dict() for k, t in overall(run, "real").items()},
        "by_extractor": {k: t.as_dict() for k, t in overall(run).items()},
        "by_template_layout_extractor": {"/".join(k): t.as_dict()
                                         for k, t in group(run.scores, "template", "layout", "extractor").items()},
        "by_table": by_key(run.scores, "table"),
        "by_key": by_key(run.scores),
        "cases": [s.as_dict() for s in run.scores],
    }


def chart(run: EvalRun, path: Path) -> Path | None:
    """A bar chart of value accuracy by layout, one bar per extractor (PNG)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    groups = group(run.scores, "layout", "extractor")
    layouts = sorted({k[0] for k in groups})
    extractors = list(run.extractors)
    width = 0.8 / max(len(extractors), 1)
    fig, ax = plt.subplots(figsize=(max(6, len(layouts) * 1.2), 4))
    for i, ex in enumerate(extractors):
        xs = [j + i * width for j in range(len(layouts))]
        ys = [groups[(lay, ex)].accuracy if (lay, ex) in groups else 0 for lay in layouts]
        bars = ax.bar(xs, ys, width, label=ex)
        # Only the bars short of 100 % carry a number: that is where a reader looks.
        ax.bar_label(bars, labels=[f"{y:.1f}" if y < 99.95 else "" for y in ys], fontsize=8)
    ax.set_xticks([j + width * (len(extractors) - 1) / 2 for j in range(len(layouts))], layouts)
    ax.set_ylabel("values right (%)")
    ax.set_ylim(0, 106)  # headroom for the bar labels
    ax.set_yticks(range(0, 101, 20))
    ax.set_title("xxgk extraction accuracy by layout")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=max(len(extractors), 1), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(run: EvalRun, out: Path, command: str = "", pairs: list[PairScore] | None = None) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md = out / "eval.md"
    md.write_text(to_markdown(run, command, pairs), encoding="utf-8")
    js = out / "eval.json"
    js.write_text(json.dumps(to_json(run, pairs), ensure_ascii=False, indent=1), encoding="utf-8")
    paths = {"markdown": md, "json": js}
    png = chart(run, out / "accuracy_by_layout.png")
    if png:
        paths["chart"] = png
    return paths
