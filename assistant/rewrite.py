"""Follow-up questions made standalone by the generator, accepted only if they keep the user's terms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.question import accepts_rewrite
from assistant.records import TurnLike

if TYPE_CHECKING:
    from assistant.generate import Generator

_SYSTEM = (
    "Viết lại câu hỏi cuối của người dùng thành một câu hỏi đầy đủ, tự hiểu được mà không cần đọc hội "
    "thoại, bằng tiếng Việt. Giữ nguyên từ ngữ của người dùng; chỉ thêm chủ đề, văn bản hoặc mục đã "
    "nhắc trong hội thoại. Không trả lời câu hỏi. Chỉ viết một câu hỏi."
)


def rewrite(generator: Generator, question: str, history: Sequence[TurnLike]) -> str | None:
    """The generator's standalone form of a follow-up, or None when it fails the rules or the model fails."""
    from assistant.generate import GeneratorError

    lines = [f"{'Người dùng' if t.role == 'user' else 'Trợ lý'}: {t.content[:400]}" for t in history]
    prompt = "Hội thoại:\n" + "\n".join(lines) + f"\n\nCâu hỏi cuối: {question}\nCâu hỏi đầy đủ:"
    messages = [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}]
    try:
        text = "".join(generator.stream(messages, max_tokens=80, stop=("\n",))).strip().strip('"“”')
    except GeneratorError:
        return None
    return text if accepts_rewrite(text, question, history) else None
