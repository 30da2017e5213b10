"""Score llama-index's default pipeline alone on the question set, and time it (until our index exists)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from assistant.settings import Settings
from eval import run, summarise
from eval.questions import DEFAULT_QUESTIONS, load_questions
from eval.report import format_table, write_report
from eval.systems import baseline_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--out", type=Path, default=Settings().data_dir / "eval" / "baseline")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()

    questions = load_questions(args.questions)
    start = time.perf_counter()
    system = baseline_system(Settings(), progress=lambda stage: print(stage, file=sys.stderr))
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    records = run(questions, system, k=args.k, limit=args.limit)
    run_s = time.perf_counter() - start
    summary = summarise(records, questions)
    about = {
        "system": "llama-index default pipeline (SimpleDirectoryReader, SentenceSplitter 1024/200, "
        "VectorStoreIndex, embeddinggemma-300m)",
        "questions": f"{args.questions.name}, {len(records)} items",
        "k": args.k,
        "index build": f"{build_s:.0f} s ({getattr(system, 'chunks', '?')} chunks)",
        "questions run": f"{run_s:.1f} s",
    }
    report = write_report(args.out, records, summary, about=about, name="llama-index default (retrieval)")
    print(format_table(summary, name="llama-index"))
    print(f"\nbuild_seconds={build_s:.1f} run_seconds={run_s:.1f} report={report}")


if __name__ == "__main__":
    main()
