"""The generator seam: one interface for generating text, from a local GGUF model or an OpenAI server."""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ingest.records import UserError

if TYPE_CHECKING:
    from assistant.settings import Settings

Message = dict[str, str]
"""One chat message: {"role": "system" | "user" | "assistant", "content": text}."""


class GeneratorError(UserError):
    """Generation failed; the message is one Vietnamese sentence for the user."""


class Generator(Protocol):
    """What the answerer needs from a text generator."""

    name: str
    context_window: int

    def count_tokens(self, text: str) -> int: ...

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]: ...


# One loaded model per (file, n_ctx, n_threads) per process, shared by every session: a second copy
# would double the memory, and llama.cpp's context is not safe to use from two threads at once, so each
# model carries the lock that one generation holds from its first to its last token.
_LOADED: dict[tuple[Path, int, int], tuple[Any, threading.Lock]] = {}


@atexit.register
def _close_models() -> None:
    """Free loaded models before the interpreter tears down the modules their destructors need."""
    for llm, _ in list(_LOADED.values()):
        with contextlib.suppress(Exception):
            llm.close()
    _LOADED.clear()


_LOADING = threading.Lock()


class LocalGenerator:
    """A GGUF model run in this process by llama-cpp-python, with the chat template stored in the file."""

    def __init__(self, path: Path, n_ctx: int = 4096, n_threads: int = 2) -> None:
        self.path = Path(path)
        self.name = self.path.stem
        self.context_window = n_ctx
        self._key = (self.path.resolve(), n_ctx, n_threads)

    def _load(self) -> tuple[Any, threading.Lock]:
        with _LOADING:
            if self._key not in _LOADED:
                if not self.path.is_file():
                    raise GeneratorError(_missing_model(self.name))
                try:
                    from llama_cpp import Llama

                    llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self._key[1],
                        n_threads=self._key[2],
                        verbose=False,
                    )
                except ImportError:
                    raise GeneratorError(
                        "Chưa cài llama-cpp-python: chạy `make run` để cài đặt lại môi trường."
                    ) from None
                except Exception:  # llama.cpp reports a bad file as a bare ValueError or RuntimeError
                    raise GeneratorError(
                        f"Không nạp được mô hình sinh văn bản {self.name}: tệp hỏng hoặc không phải GGUF, "
                        f"hãy tải lại bằng `vankien models pull {self.name}`."
                    ) from None
                _LOADED[self._key] = (llm, threading.Lock())
            return _LOADED[self._key]

    def count_tokens(self, text: str) -> int:
        """Exact count with the model's own tokenizer (no lock: tokenizing only reads the vocabulary)."""
        llm, _ = self._load()
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        llm, lock = self._load()
        lock.acquire()
        chunks: Any = None
        try:
            chunks = llm.create_chat_completion(
                messages=[dict(m) for m in messages],
                max_tokens=max_tokens,
                temperature=temperature,
                stop=list(stop),
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content") if chunk["choices"] else None
                if piece:
                    yield piece
        except ValueError as exc:
            if "exceed context window" in str(exc):
                raise GeneratorError(
                    f"Câu hỏi và ngữ cảnh quá dài so với cửa sổ ngữ cảnh ({self.context_window} token) "
                    "của mô hình sinh văn bản."
                ) from None
            raise GeneratorError(_LOCAL_FAILED) from None
        except Exception:
            raise GeneratorError(_LOCAL_FAILED) from None
        finally:
            # Runs also when the consumer stops early (close() or garbage collection of this generator):
            # the next session must not wait for a lock nobody will release.
            if chunks is not None:
                chunks.close()
            lock.release()


_LOCAL_FAILED = "Mô hình sinh văn bản gặp lỗi khi đang trả lời."


class OpenAIGenerator:
    """Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, TGI), streamed over SSE.

    `base_url` is taken exactly as given: the OpenAI base URL, the part before `/chat/completions`
    (usually ending in `/v1`, e.g. `http://gpu:8000/v1`, Ollama `http://host:11434/v1`). Without a
    `model`, the server's first model (GET `{base_url}/models`) is used. `timeout` bounds both the wait
    for each piece of the answer and the whole generation; connecting may take at most 5 s.
    """

    def __init__(
        self, base_url: str, model: str | None = None, key: str | None = None, timeout: float = 120.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._model = model
        self.name = _display_name(model) if model else self.base_url
        # Unknown without asking the server; open_generator sets it from the settings.
        self.context_window = 4096
        self._timeout = timeout
        self._http_timeout = httpx.Timeout(timeout, connect=min(5.0, timeout))
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    def count_tokens(self, text: str) -> int:
        """An estimate from UTF-8 bytes: the server's tokenizer is not at hand.

        Qwen2.5's tokenizer gives 4.2 bytes per token on the bundled corpus, so a whole prompt is
        overestimated by about 40%; a paragraph dense with numbers (one token per digit) can reach 2.1
        bytes per token and be underestimated by up to 30%.
        """
        return len(text.encode("utf-8")) // 3 + 1

    def model(self) -> str:
        """The model id sent to the server: the one given, or the server's first."""
        if self._model is None:
            try:
                with httpx.Client(timeout=self._http_timeout, headers=self._headers) as client:
                    response = client.get(f"{self.base_url}/models")
                    _check_status(response, self.base_url)
                    self._model = str(response.json()["data"][0]["id"])
            except GeneratorError:
                raise
            except httpx.HTTPError as exc:
                raise GeneratorError(_transport_message(exc, self.base_url)) from None
            except (ValueError, LookupError, TypeError):
                raise GeneratorError(
                    f"Máy chủ sinh văn bản {self.base_url} không cho biết mô hình nào: "
                    "đặt VANKIEN_GENERATOR_MODEL."
                ) from None
            self.name = _display_name(self._model)
        return self._model

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.model(),
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = list(stop)
        deadline = time.monotonic() + self._timeout
        try:
            with (
                httpx.Client(timeout=self._http_timeout, headers=self._headers) as client,
                client.stream("POST", f"{self.base_url}/chat/completions", json=body) as response,
            ):
                _check_status(response, self.base_url)
                answered = False
                for line in response.iter_lines():
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("generation took too long")
                    if not line.startswith("data:"):
                        continue  # blank separators, SSE comments (keep-alive pings), event names
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        break
                    piece, has_choices = _parse_chunk(data, self.base_url)
                    answered = answered or has_choices
                    if piece:
                        yield piece
                if not answered:
                    raise GeneratorError(_garbage(self.base_url))
        except GeneratorError:
            raise
        except httpx.HTTPError as exc:
            raise GeneratorError(_transport_message(exc, self.base_url)) from None


def _display_name(model_id: str) -> str:
    # llama.cpp's server names its model by the path of its file on the server: show the file name only.
    return model_id.rsplit("/", 1)[-1] if model_id.endswith(".gguf") else model_id


def _parse_chunk(data: str, url: str) -> tuple[str, bool]:
    """The text of one streamed chunk, and whether it had choices (a final usage chunk has none)."""
    try:
        chunk = json.loads(data)
    except ValueError:
        raise GeneratorError(_garbage(url)) from None
    if not isinstance(chunk, dict):
        raise GeneratorError(_garbage(url))
    if "error" in chunk:
        raise GeneratorError(f"Máy chủ sinh văn bản {url} báo lỗi khi đang trả lời.")
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise GeneratorError(_garbage(url))
    if not choices:
        return "", False
    first = choices[0]
    delta = first.get("delta") if isinstance(first, dict) else None
    content = delta.get("content") if isinstance(delta, dict) else None
    return (content if isinstance(content, str) else ""), True


def _garbage(url: str) -> str:
    return (
        f"Máy chủ sinh văn bản {url} trả lời không đúng dạng OpenAI "
        "(kiểm tra địa chỉ, thường kết thúc bằng /v1)."
    )


def _check_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        detail = "từ chối khóa truy cập, kiểm tra VANKIEN_GENERATOR_KEY"
    elif status == 404:
        detail = (
            "không có địa chỉ hoặc mô hình này, kiểm tra VANKIEN_GENERATOR_URL và VANKIEN_GENERATOR_MODEL"
        )
    else:
        detail = "lỗi phía máy chủ"
    raise GeneratorError(f"Máy chủ sinh văn bản {url} trả lỗi HTTP {status}: {detail}.")


def _transport_message(exc: httpx.HTTPError, url: str) -> str:
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return f"Không kết nối được máy chủ sinh văn bản {url}: máy chủ chưa chạy hoặc sai địa chỉ."
    if isinstance(exc, httpx.TimeoutException):
        return f"Máy chủ sinh văn bản {url} không trả lời kịp thời gian cho phép."
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"Địa chỉ máy chủ sinh văn bản {url} không hợp lệ (cần dạng http://máy:cổng/v1)."
    return f"Mất kết nối với máy chủ sinh văn bản {url} khi đang trả lời."


def _missing_model(name: str) -> str:
    return f"Chưa có mô hình sinh văn bản {name}: chạy `vankien models pull {name}`."


def open_generator(settings: Settings) -> Generator | None:
    """The generator the settings choose: a server, the local GGUF model, or None ("none")."""
    if settings.generator_url:
        server = OpenAIGenerator(
            settings.generator_url,
            settings.generator_model,
            settings.generator_key,
            settings.generator_timeout_s,
        )
        server.context_window = settings.generator_ctx
        return server
    path = settings.generator_path()
    if path is None:
        return None
    if not path.is_file():
        name = settings.generator
        if name.endswith(".gguf") or "/" in name:  # a file the user named: no pull can make it
            raise GeneratorError(
                f"Không thấy tệp mô hình sinh văn bản {Path(name).name}: kiểm tra VANKIEN_GENERATOR, "
                "hoặc dùng mô hình mặc định (`vankien models pull qwen2.5-coder-1.5b-instruct-q4_k_m`)."
            )
        raise GeneratorError(_missing_model(name))
    return LocalGenerator(path, settings.generator_ctx, settings.generator_threads)
