"""With a generator, each outline section of a brief opens with a short summary the model writes from the
section's cited paragraphs. As for generated answers, a sentence is kept only when the checker finds it
backed by a cited paragraph (all its numbers and most of its terms); the rest is dropped unseen."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.brief import Said, Section
from assistant.generate import GeneratorError
from assistant.generative import Passage, build_messages, check, refused, sentences_of
from assistant.reading import Reading, plain_heading

if TYPE_CHECKING:
    from assistant.generate import Generator

SUMMARY_TOKENS = 120
MAX_SENTENCES = 2


def summarise(
    reading: Reading, outline: tuple[Section, ...], generator: Generator
) -> tuple[tuple[Section, ...], str | None]:
    """The outline with checked summaries, and a notice when the generator failed (then none are kept)."""
    try:
        return tuple(replace(s, summary=_summary(reading, s, generator)) for s in outline), None
    except GeneratorError as exc:
        return outline, f"{exc} Tài liệu chỉ gồm các đoạn trích nguyên văn."


def _summary(reading: Reading, section: Section, generator: Generator) -> tuple[Said, ...]:
    cited = list(dict.fromkeys(p.citation.id for p in section.points))
    passages = [
        Passage(n, section.document, ((pid, reading.paragraphs[pid][0].text),))
        for n, pid in enumerate(cited, start=1)
    ]
    topic = plain_heading(section.heading) if section.heading != section.document else section.document
    question = f"Tóm tắt trong một hoặc hai câu những nội dung chính của “{topic}”."
    budget = generator.context_window - SUMMARY_TOKENS
    messages, kept = build_messages(question, passages, budget, generator.count_tokens)
    said: list[Said] = []
    # The stream is read to its end (the local model is locked until then); extra sentences are ignored.
    for sentence in sentences_of(generator.stream(messages, max_tokens=SUMMARY_TOKENS)):
        if refused(sentence) or len(said) == MAX_SENTENCES:
            continue
        claim = check(sentence, kept, reading.vocabulary)
        if claim is None or not _adds(claim.text, section, said):
            continue
        citations = tuple(reading.cite(pid, span.text.strip()) for pid, span in claim.backing)
        said.append(Said(claim.text, citations))
    return tuple(said)


def _adds(text: str, section: Section, said: list[Said]) -> bool:
    """Whether a sentence says something: not the heading echoed, not a point copied, not said already."""
    if len(text.split()) < 6 or text.rstrip(" .)") in section.heading:
        return False
    return all(text.rstrip(".") not in p.text for p in section.points) and all(s.text != text for s in said)
