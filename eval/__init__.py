"""Evaluation: a question set put to a system -> scored records, a summary and a report."""

from __future__ import annotations

from eval.harness import MODES, Answerer, EvalError, System, run
from eval.metrics import summarise

__all__ = ["MODES", "Answerer", "EvalError", "System", "run", "summarise"]
