"""Benchmark: answer quality and latency of the assistant, extractive and generative, on the question set.

    .venv/bin/python scripts/bench_answers.py [--generative-limit N] [--refusal-curve]

Extractive mode runs on the whole set; generative mode (the local 1.5B model on 2 cores, 20-60 s per
answer) on the first N items (default 0: skipped). `--refusal-curve` prints, for a range of evidence
thresholds, the refusal rate on unanswerable questions and the false-refusal rate on the others (the
calibration of `assistant.compose.MIN_CONTEXT`).

The bundled corpus is indexed into a temporary data folder (vectors come from the machine's embedding
cache when present, so re-runs are quick).
"""

from __future__ import annotations

import os

# As the serving process does: one BLAS thread (set before numpy is imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import tempfile
from pathlib import Path

from benchlib import load_avg

import eval as evaluation
from assistant import compose
from assistant.settings import Settings
from eval.questions import Question, load_questions
from eval.report import format_table
from eval.systems import answer_system
from index import Index
from ingest import load_file

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generative-limit", type=int, default=0)
    parser.add_argument("--refusal-curve", action="store_true")
    args = parser.parse_args()
    questions = load_questions()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        Index(settings.index_config()).add([load_file(f) for f in sorted(CORPUS.glob("*.txt"))])
        records = evaluation.run(questions, answer_system(settings, "extractive"), mode="extractive")
        print(format_table(evaluation.summarise(records, questions), name="extractive"))
        print(f"load average: {load_avg()}")
        if args.refusal_curve:
            _curve(settings, questions)
        if args.generative_limit:
            subset = questions[: args.generative_limit]
            system = answer_system(settings, "generative")
            records = evaluation.run(subset, system, mode="generative")
            print(
                format_table(evaluation.summarise(records, subset), name=f"generative (first {len(subset)})")
            )
            print(f"load average: {load_avg()}")


def _curve(settings: Settings, questions: list[Question]) -> None:
    print("threshold  refused (unanswerable)  refused (answerable)")
    system = answer_system(settings, "extractive")
    for threshold in (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70):
        compose.MIN_CONTEXT = threshold
        records = evaluation.run(questions, system, mode="extractive")
        rates = evaluation.summarise(records, questions)["overall"]
        print(f"{threshold:9.2f}  {rates['refusal_rate']:22.3f}  {rates['false_refusal_rate']:20.3f}")


if __name__ == "__main__":
    main()
