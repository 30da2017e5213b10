"""The generator seam: the real small GGUF model in process and behind a real llama.cpp server, and faults."""

from __future__ import annotations

import http.server
import itertools
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.generate import (
    GeneratorError,
    LocalGenerator,
    Message,
    OpenAIGenerator,
    open_generator,
)
from assistant.settings import Settings

SMALL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
KEY = "khoa-thu-nghiem"
ASK: list[Message] = [{"role": "user", "content": "Thủ đô của Việt Nam là gì? Trả lời một câu."}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def small_model() -> Path:
    """The small test generator, pulled once into the machine's model cache."""
    from index.models import pull

    return pull(SMALL, Settings().models_dir)


@pytest.fixture(scope="session")
def local(small_model: Path) -> LocalGenerator:
    return LocalGenerator(small_model, n_ctx=1024, n_threads=2)


@pytest.fixture(scope="session")
def llama_server(small_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server on a free loopback port, wanting an API key."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(small_model)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--n_threads", "1"]
    command += ["--api_key", KEY]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/models", headers={"Authorization": f"Bearer {KEY}"}).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not answer within 120 s")
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class _Fake(http.server.BaseHTTPRequestHandler):
    """Misbehaving OpenAI servers, one per first path segment of the base URL."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kind = self.path.split("/")[1]
        if kind == "http500":
            self._send(500, b"Internal Server Error")
        elif kind == "garbage":
            self._send(200, b"<html>hello, this is not JSON</html>")
        elif kind == "nochoices":
            self._send(200, b'data: {"id": "x", "object": "chat.completion.chunk"}\n\ndata: [DONE]\n\n')
        elif kind == "midstream":
            good = 'data: {"choices": [{"index": 0, "delta": {"content": "Hà Nội"}}]}\n\n'.encode()
            self._send(200, good + b"data: {broken\n\n")
        else:
            self._send(404, b"")

    def do_GET(self) -> None:
        self._send(200, b"not json")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    listener.close()
    for conn in held:
        conn.close()


def _text(generator: LocalGenerator | OpenAIGenerator, messages: list[Message], n: int = 24) -> str:
    return "".join(generator.stream(messages, max_tokens=n, temperature=0.0))


@pytest.mark.integration
def test_local_streams_an_answer_and_counts_tokens(local: LocalGenerator) -> None:
    pieces = list(local.stream(ASK, max_tokens=24))
    assert len(pieces) > 1, "streamed in pieces"
    assert "".join(pieces).strip()
    short = local.count_tokens("Đảng bộ")
    assert 0 < short < local.count_tokens("Đảng bộ Khối các cơ quan tỉnh Bắc Giang")
    assert local.name == SMALL
    assert local.context_window == 1024


@pytest.mark.integration
def test_local_refuses_a_prompt_longer_than_its_window(local: LocalGenerator) -> None:
    too_long: list[Message] = [{"role": "user", "content": "Nghị quyết Đại hội. " * 400}]
    with pytest.raises(GeneratorError, match="quá dài"):
        _text(local, too_long)


@pytest.mark.integration
def test_local_stopping_early_releases_the_model(local: LocalGenerator) -> None:
    for _piece in local.stream(ASK, max_tokens=64):
        break  # the abandoned generator is closed as soon as nothing refers to it
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(_text(local, ASK, 8)))
    worker.start()
    worker.join(60)
    assert done and done[0].strip(), "a second generation ran after the first was abandoned"


@pytest.mark.integration
def test_local_serialises_concurrent_sessions(local: LocalGenerator) -> None:
    numbers = ["12345", "67890", "24680", "13579"]
    outputs: dict[str, str] = {}
    spans: dict[str, tuple[float, float]] = {}
    errors: list[BaseException] = []

    def ask(number: str) -> None:
        messages: list[Message] = [
            {"role": "system", "content": "Repeat exactly the user's text."},
            {"role": "user", "content": number},
        ]
        try:
            pieces: list[str] = []
            first = 0.0
            for piece in local.stream(messages, max_tokens=16):
                first = first or time.monotonic()
                pieces.append(piece)
            spans[number] = (first, time.monotonic())
            outputs[number] = "".join(pieces)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in numbers]
    sample = "Đảng bộ Khối các cơ quan tỉnh Bắc Giang, nhiệm kỳ 2020-2025"
    expected = local.count_tokens(sample)
    for t in threads:
        t.start()
    counts = [local.count_tokens(sample) for _ in range(200)]  # tokenizing needs no lock: not blocked
    for t in threads:
        t.join(120)
    assert set(counts) == {expected}
    assert not errors
    for number in numbers:
        assert number in outputs[number], outputs
        assert all(other not in outputs[number] for other in numbers if other != number)
    ordered = sorted(spans.values())
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(ordered)), "generations overlapped"


@pytest.mark.integration
def test_server_streams_with_key_and_first_model(llama_server: str) -> None:
    server = OpenAIGenerator(llama_server, key=KEY, timeout=60)
    pieces = list(server.stream(ASK, max_tokens=24))
    assert len(pieces) > 1
    assert "".join(pieces).strip()
    assert server.name == f"{SMALL}.gguf", "the server's first model, shown without its folder"
    assert 0 < server.count_tokens("Đảng bộ") < server.count_tokens("Đảng bộ Khối các cơ quan tỉnh")


@pytest.mark.integration
def test_server_wrong_key_is_one_clear_error(llama_server: str) -> None:
    with pytest.raises(GeneratorError, match=r"401.*VANKIEN_GENERATOR_KEY"):
        _text(OpenAIGenerator(llama_server, model="any", key="sai", timeout=30), ASK)


def test_server_down() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(GeneratorError, match="Không kết nối được máy chủ sinh văn bản"):
        _text(OpenAIGenerator(url, model="m"), ASK)
    with pytest.raises(GeneratorError, match="Không kết nối được"):
        OpenAIGenerator(url).model()
    assert time.monotonic() - started < 5


def test_server_that_never_answers_times_out(silent_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(GeneratorError, match="không trả lời kịp"):
        _text(OpenAIGenerator(silent_server, model="m", timeout=1), ASK)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("http500", "HTTP 500"),
        ("garbage", "không đúng dạng OpenAI"),
        ("nochoices", "không đúng dạng OpenAI"),
        ("missing", r"HTTP 404.*VANKIEN_GENERATOR_URL"),
    ],
)
def test_server_faults_are_one_clear_error(fake_server: str, kind: str, message: str) -> None:
    with pytest.raises(GeneratorError, match=message) as caught:
        _text(OpenAIGenerator(f"{fake_server}/{kind}/v1", model="m"), ASK)
    assert "Traceback" not in str(caught.value) and "\n" not in str(caught.value)


def test_server_fault_mid_stream_after_some_text(fake_server: str) -> None:
    pieces = OpenAIGenerator(f"{fake_server}/midstream/v1", model="m").stream(ASK)
    assert next(pieces) == "Hà Nội"
    with pytest.raises(GeneratorError, match="không đúng dạng"):
        next(pieces)


def test_server_without_a_model_list(fake_server: str) -> None:
    with pytest.raises(GeneratorError, match="VANKIEN_GENERATOR_MODEL"):
        _text(OpenAIGenerator(f"{fake_server}/garbage/v1"), ASK)


def test_open_generator_follows_the_settings(tmp_path: Path) -> None:
    assert open_generator(Settings(generator="none")) is None
    server = open_generator(Settings(generator_url="http://gpu:8000/v1/", generator_ctx=8192))
    assert isinstance(server, OpenAIGenerator)
    assert server.base_url == "http://gpu:8000/v1" and server.context_window == 8192
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    local = open_generator(Settings(generator=str(model), generator_ctx=512, generator_threads=1))
    assert isinstance(local, LocalGenerator) and local.context_window == 512  # not loaded yet


def test_open_generator_missing_model_names_the_pull_command(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="vankien models pull") as caught:
        open_generator(Settings(generator=str(tmp_path / "absent.gguf")))
    assert str(tmp_path) not in str(caught.value)
    with pytest.raises(GeneratorError, match="vankien models pull chua-co-mo-hinh"):
        open_generator(Settings(generator="chua-co-mo-hinh", models_dir=tmp_path))


def test_a_broken_gguf_file_is_one_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "broken.gguf"
    model.write_bytes(b"not a model")
    with pytest.raises(GeneratorError, match="Không nạp được mô hình sinh văn bản broken"):
        _text(LocalGenerator(model, n_ctx=256, n_threads=1), ASK)
