"""The assistant: a question (and its conversation) -> a short Vietnamese answer whose every sentence
cites the paragraph it comes from, or an honest "not found" with the nearest passages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from assistant.compose import Composer, search
from assistant.question import QuestionError, check_question, intent, standalone
from assistant.records import NOT_FOUND, Answer, Citation, Turn, TurnLike

if TYPE_CHECKING:
    from assistant.generate import Generator
    from assistant.settings import Settings
    from index import Hit, Index

__all__ = ["NOT_FOUND", "Answer", "Assistant", "Citation", "Event", "QuestionError", "Turn", "answer"]

MODES = ("extractive", "generative")
HISTORY_TURNS = 6
"""Turns of a conversation kept for follow-ups (older ones are dropped)."""


@dataclass(frozen=True)
class Event:
    """One step of a streamed answer: the standalone question, a checked sentence, then the answer."""

    kind: Literal["standalone", "sentence", "done"]
    text: str = ""
    answer: Answer | None = None


class Assistant:
    """Answers questions over one index; safe to share between sessions (the generator is locked)."""

    def __init__(self, settings: Settings, index: Index | None = None, generator: Generator | None = None):
        self.settings = settings
        self._index = index
        self._generator = generator
        self._generator_error: str | None = None
        self._opened = generator is not None
        self._lock = threading.Lock()

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                from index import Index

                self._index = Index(self.settings.index_config())
            return self._index

    def generator(self) -> Generator | None:
        """The configured generator, opened once (None when generation is off or the model is missing)."""
        with self._lock:
            if not self._opened:
                from assistant.generate import GeneratorError, open_generator

                try:
                    self._generator = open_generator(self.settings)
                except GeneratorError as exc:
                    self._generator_error = str(exc)
                self._opened = True
            return self._generator

    def search(
        self,
        query: str,
        k: int = 10,
        doc: str | None = None,
        kinds: Sequence[str] | None = None,
        year: int | None = None,
    ) -> list[Hit]:
        """The paragraphs an answer is drawn from, best first: the index's hybrid search with the
        paragraphs holding the kind of answer asked for (a number, a code, a name, a time) moved up."""
        return search(self.index, query, k, doc=doc, kinds=kinds, year=year)

    def modes(self) -> tuple[str, ...]:
        return MODES if self.generator() is not None else MODES[:1]

    def _mode(self, mode: str | None) -> str:
        wanted = mode or self.settings.answer_mode
        if wanted not in (*MODES, "auto"):
            raise QuestionError(f"Chế độ trả lời không hợp lệ: {wanted} (chọn extractive hoặc generative).")
        if wanted == "auto":
            return "generative" if self.generator() is not None else "extractive"
        return wanted

    def ask(
        self, question: str, history: Sequence[TurnLike] = (), mode: str | None = None, doc: str | None = None
    ) -> Answer:
        """The whole answer at once."""
        for event in self.stream(question, history, mode, doc):
            if event.answer is not None:
                return event.answer
        raise AssertionError("stream ended without an answer")  # pragma: no cover

    def stream(
        self, question: str, history: Sequence[TurnLike] = (), mode: str | None = None, doc: str | None = None
    ) -> Iterator[Event]:
        """The answer step by step: each sentence is shown only once its citations are checked."""
        asked = check_question(question)
        chosen = self._mode(mode)
        recent = list(history)[-HISTORY_TURNS:]
        start = time.perf_counter()
        query = self._standalone(asked, recent, chosen)
        if query != asked:
            yield Event("standalone", query)
        composer = Composer(self.index, query, own=asked, intent=intent(query), doc=doc)
        retrieval_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        notice = None
        generator = self.generator() if chosen == "generative" else None
        if chosen == "generative" and generator is None:
            notice = (
                self._generator_error
                or "Chưa cấu hình mô hình sinh văn bản: câu trả lời được trích nguyên văn."
            )
        used = "extractive"
        if generator is not None and composer.answerable and not composer.listing:
            from assistant.generate import GeneratorError

            try:
                for text in composer.generate(generator, self.settings.generator_timeout_s):
                    yield Event("sentence", text)
                if composer.claims:
                    for text in composer.complete():
                        yield Event("sentence", text)
            except GeneratorError as exc:
                done = (
                    "Câu trả lời có thể chưa đầy đủ."
                    if composer.claims
                    else "Câu trả lời được trích nguyên văn."
                )
                notice = f"{exc} {done}"
            used = "generative" if composer.claims else "extractive"
        if not composer.claims:
            composer.extract()  # no generator, a list, or nothing the generator said was backed
            result = composer.answer(asked, query, used)
            for line in result.answer.split("\n"):
                yield Event("sentence", line)
        else:
            result = composer.answer(asked, query, used)
        latency = {
            "retrieval": round(retrieval_ms, 2),
            "answer": round((time.perf_counter() - start) * 1000, 2),
        }
        result = replace(result, latency_ms=latency, notice=notice)
        yield Event("done", result.answer, result)

    def _standalone(self, question: str, history: Sequence[TurnLike], mode: str) -> str:
        rule = standalone(question, history)
        if rule == question or mode != "generative":
            return rule
        from assistant.rewrite import rewrite

        generator = self.generator()
        return rewrite(generator, question, history) or rule if generator else rule


def answer(
    settings: Settings, question: str, history: Sequence[TurnLike] = (), mode: str | None = None
) -> Answer:
    """One question answered with the index and generator the settings point at."""
    return Assistant(settings).ask(question, history, mode)
