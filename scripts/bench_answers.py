"""Benchmark: answer quality and latency of the assistant, extractive and generative, on the question set.

    .venv/bin/python scripts/bench_answers.py [--generative-limit N] [--refusal-curve] [--stream N]

Extractive mode runs on the whole set; generative mode (the local 1.5B model on 2 cores, 20-60 s per
answer) on the first N items (default 0: skipped). `--refusal-curve` prints, for a range of evidence
thresholds, the refusal rate on unanswerable questions and the false-refusal rate on the others (the
calibration of `assistant.compose.MIN_CONTEXT`). `--stream N` streams the first N items in generative mode
as the app does and prints the time to the first shown sentence and to the whole answer (p50, p95; the
model is loaded by one untimed question first).

The bundled corpus is indexed into a temporary data folder (vectors come from the machine's embedding
cache when present, so re-runs are quick).
"""

from __future__ import annotations

import os

# As the serving process does: one BLAS thread (set before numpy is imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import tempfile
import time
from pathlib import Path

from benchlib import load_avg, pct

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
    parser.add_argument("--stream", type=int, default=0)
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
        if args.stream:
            _stream(settings, questions[: args.stream])


def _stream(settings: Settings, questions: list[Question]) -> None:
    from assistant import Assistant

    bot = Assistant(settings)
    bot.ask("Đại hội khai mạc ngày nào?", mode="generative")  # loads the model; not timed
    firsts, wholes, generated = [], [], 0
    for q in questions:
        start, first = time.perf_counter(), None
        for event in bot.stream(q.question, q.history, "generative"):
            if event.kind == "sentence" and first is None:
                first = time.perf_counter() - start
            if event.answer is not None:
                generated += event.answer.mode == "generative"
        wholes.append(time.perf_counter() - start)
        firsts.append(wholes[-1] if first is None else first)
    print(f"streamed generative answers: {len(questions)} questions, {generated} answered by the model")
    print(
        f"first sentence shown  p50 {pct(firsts, 50):.1f} s  p95 {pct(firsts, 95):.1f} s  (target p50 < 10 s)"
    )
    print(
        f"whole answer          p50 {pct(wholes, 50):.1f} s  p95 {pct(wholes, 95):.1f} s  (target p50 < 30 s)"
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
