"""The evaluation report: results.jsonl, report.md with tables, and PNG charts, in one folder."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

LABELS = {
    "hit@1": "hit@1",
    "hit@3": "hit@3",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "mrr@10": "MRR@10",
    "key_fact_recall": "key facts",
    "citation_precision": "cit. prec.",
    "citation_recall": "cit. rec.",
    "refusal_rate": "refused (unans.)",
    "false_refusal_rate": "refused (ans.)",
    "retrieval_ms_p50": "retr. p50 ms",
    "retrieval_ms_p95": "retr. p95 ms",
    "answer_ms_p50": "ans. p50 ms",
    "answer_ms_p95": "ans. p95 ms",
}
LATENCIES = ("retrieval_ms_p50", "retrieval_ms_p95", "answer_ms_p50", "answer_ms_p95")
Run = tuple[str, Sequence[Mapping[str, Any]], Mapping[str, Any]]
"""A named run: its label, its records and its summary."""


def _cell(value: Any, latency: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if latency else f"{value:.3f}"


def _rows(runs: Sequence[Run], by_type: bool) -> tuple[list[str], list[list[str]]]:
    metrics = list(dict.fromkeys(m for _, _, s in runs for m in s["metrics"]))
    latencies = [] if by_type else [x for x in LATENCIES if any(s["overall"].get(x) for _, _, s in runs)]
    head = ["system", *(["type", "n"] if by_type else ["n", "answerable"]), *(LABELS[m] for m in metrics)]
    head += [LABELS[x] for x in latencies]
    rows = []
    for name, _, summary in runs:
        groups = summary["by_type"].items() if by_type else [("", summary["overall"])]
        for kind, agg in groups:
            row = [name, *([kind, str(agg["n"])] if by_type else [str(agg["n"]), str(agg["answerable"])])]
            row += [_cell(agg.get(m)) for m in metrics]
            row += [_cell(agg.get(x), latency=True) for x in latencies]
            rows.append(row)
    return head, rows


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def format_table(
    summary: Mapping[str, Any], baseline: Mapping[str, Any] | None = None, name: str = "vankien"
) -> str:
    """The overall and by-type figures as aligned plain text, for the terminal."""
    runs: list[Run] = [(name, [], summary)]
    if baseline is not None:
        runs.append(("llama-index", [], baseline))
    blocks = []
    for by_type in (False, True):
        head, rows = _rows(runs, by_type)
        widths = [max(len(x) for x in column) for column in zip(head, *rows, strict=True)]
        lines = [head, *rows]
        blocks.append("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in lines))
    return "\n\n".join(blocks)


def misses(records: Sequence[Mapping[str, Any]], k: int = 5) -> list[str]:
    """Ids of answerable items with no relevant paragraph in the top k."""
    return [
        r["id"] for r in records if r["scores"].get(f"hit@{k}") is not None and not r["scores"][f"hit@{k}"]
    ]


def write_results(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_report(
    out_dir: Path,
    records: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    baseline: tuple[Sequence[Mapping[str, Any]], Mapping[str, Any]] | None = None,
    about: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Path:
    """Write report.md, results.jsonl (and baseline-results.jsonl) and the charts; returns report.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_results(out_dir / "results.jsonl", records)
    runs: list[Run] = [(name or f"vankien ({summary['mode']})", records, summary)]
    if baseline is not None:
        write_results(out_dir / "baseline-results.jsonl", baseline[0])
        runs.append(("llama-index default (retrieval)", *baseline))
    charts = [("Metrics by question type", "metrics_by_type.png"), ("Latency", "latency.png")]
    chart_metrics_by_type(out_dir / charts[0][1], runs)
    chart_latency(out_dir / charts[1][1], runs)

    text = ["# Evaluation report", ""]
    text += [f"- {key}: {value}" for key, value in (about or {}).items()]
    text += [
        "- Unanswerable questions count only for the refusal metrics; retrieval, key-fact and citation",
        "  metrics are means over answerable questions. A paragraph is relevant when, after NFC and",
        "  collapsing whitespace, it contains an evidence quote or its line span covers an evidence line.",
        "",
        "## Overall",
        "",
        _markdown(*_rows(runs, by_type=False)),
        "",
        "## By question type",
        "",
        _markdown(*_rows(runs, by_type=True)),
        "",
        "## Retrieval misses (no relevant paragraph in the top 5)",
        "",
    ]
    for name, recs, _ in runs:
        missed = misses(recs)
        text.append(f"- {name}: {len(missed)}: " + (", ".join(missed) if missed else "none"))
    text += ["", "## Charts", ""]
    text += [f"![{title}]({file})" for title, file in charts]
    path = out_dir / "report.md"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server or in CI
    import matplotlib.pyplot as plt

    return plt


def chart_metrics_by_type(path: Path, runs: Sequence[Run]) -> None:
    """Grouped bars: one group per question type, one bar per metric; one panel per system."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(runs), 1, figsize=(10, 3.6 * len(runs)), squeeze=False)
    for ax, (name, _, summary) in zip(axes[:, 0], runs, strict=True):
        types = list(summary["by_type"])
        metrics = summary["metrics"]
        width = 0.8 / max(1, len(metrics))
        for i, metric in enumerate(metrics):
            values = [summary["by_type"][t].get(metric) or 0.0 for t in types]
            xs = [x + (i - (len(metrics) - 1) / 2) * width for x in range(len(types))]
            ax.bar(xs, values, width, label=LABELS[metric])
        ax.set_xticks(range(len(types)), [f"{t} ({summary['by_type'][t]['n']})" for t in types])
        ax.set_ylim(0, 1.3)  # headroom so the legend never hides a bar at 1.0
        ax.set_title(name)
        ax.legend(fontsize=7, ncol=len(metrics), loc="upper center")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def chart_latency(path: Path, runs: Sequence[Run]) -> None:
    """Histograms of per-item latency: retrieval, and the whole answer where there is one."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    series = [
        (f"{name}: {stage}", [r["latency_ms"][stage] for r in records if r["latency_ms"].get(stage)])
        for name, records, _ in runs
        for stage in ("retrieval", "answer")
    ]
    series = [(label, times) for label, times in series if times]
    low = min((min(t) for _, t in series), default=1.0)
    high = max((max(t) for _, t in series), default=1.0)
    # Retrieval takes milliseconds and a generated answer seconds: one log axis shows both.
    bins = [low * (high / low) ** (i / 30) for i in range(31)] if high > low else 30
    for label, times in series:
        ax.hist(times, bins=bins, alpha=0.6, label=label)
    if high > 10 * low:
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("ms per question")
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
