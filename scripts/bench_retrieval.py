"""Benchmark: retrieval quality of dense-only, keyword-only and hybrid ranking (and, with --baseline,
llama-index's default pipeline), all on the same index and question set in one run.

    .venv/bin/python scripts/bench_retrieval.py [--baseline] [--limit N] [--misses]

`--misses` also lists, for each system, the answerable questions with no relevant paragraph in its top 5
and the rank of the first relevant one (- when not in the top 10).

The bundled corpus is indexed into a temporary data folder (vectors come from the machine's embedding
cache when present, so re-runs are quick).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import eval as evaluation
from assistant.settings import Settings
from eval.harness import retrieval_query
from eval.questions import Turn, load_questions
from eval.report import format_table
from eval.systems import retrieval_system
from index import Index
from ingest import load_file

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


class Ranked:
    """One way of ranking over the shared index, as a system the harness can score."""

    def __init__(self, index: Index, rankers: tuple[str, ...]) -> None:
        self.index = index
        self.rankers = rankers

    def retrieve(self, question: str, history: Sequence[Turn], k: int) -> list[dict[str, Any]]:
        hits = self.index.search(retrieval_query(question, history), k=k, rankers=self.rankers)
        return [hit.as_dict() for hit in hits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="also run llama-index's default pipeline")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--misses", action="store_true", help="list the questions missed in the top 5")
    args = parser.parse_args()
    questions = load_questions()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        index = Index(settings.index_config())
        index.add([load_file(f) for f in sorted(CORPUS.glob("*.txt"))])
        systems: dict[str, evaluation.System] = {
            "dense only": Ranked(index, ("dense",)),
            "keyword only": Ranked(index, ("keyword",)),
            "hybrid": Ranked(index, ("dense", "keyword", "section")),
            "hybrid + answer type (ours)": retrieval_system(settings, index),
        }
        if args.baseline:
            from eval.systems import baseline_system

            systems["llama-index default"] = baseline_system(settings)
        for name, system in systems.items():
            records = evaluation.run(questions, system, 10, args.limit)
            print(format_table(evaluation.summarise(records, questions), name=name))
            if args.misses:
                missed = [r for r in records if r["type"] != "unanswerable" and not r["scores"]["hit@5"]]
                for r in missed:
                    first = r["scores"]["first_relevant"]
                    rank = first if first is not None and first <= 10 else "-"
                    print(f"  miss {r['id']} {r['type']:<14} rank {rank}: {r['question'][:90]}")
            print()


if __name__ == "__main__":
    main()
