"""The one settings object, read from the environment (prefix VANKIEN_) at the entry points."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from index import IndexConfig


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "vankien"


def _default_models_dir() -> Path:
    return Path.home() / ".cache" / "vankien" / "models"


class Settings(BaseSettings):
    """Everything a user can configure; built once by the CLI, the UI or the evaluation run."""

    model_config = SettingsConfigDict(env_prefix="VANKIEN_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Everything the program writes: paragraph catalogue, index, feedback, logs."""

    models_dir: Path = Field(default_factory=_default_models_dir)
    """Cache of pulled models, outside the repository."""

    models_source: Path | None = None
    """A local folder to pull models from first (an air-gapped office copies one in)."""

    max_file_mb: float = 50.0
    """Files larger than this are refused at ingestion."""

    embedder: str = "embeddinggemma-300m"
    """The embedding model: a default model's name, a pulled model's name, or a folder."""

    embed_dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    """Precision of the embedding model: auto uses bfloat16 where the CPU computes it natively."""

    chroma_url: str | None = None
    """A Chroma server (http://host:port) shared by several instances; unset: embedded in the data folder."""

    generator: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    """The local GGUF generator: a pulled model's name or a .gguf file; "none" answers extractively only."""

    generator_url: str | None = None
    """An OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI), e.g. http://gpu:8000/v1; used instead
    of the local generator when set."""

    generator_model: str | None = None
    """The model name sent to that server (default: the server's first model)."""

    generator_key: str | None = None
    """The server's API key, if it wants one."""

    generator_threads: int = 2
    """CPU threads of the local generator."""

    generator_ctx: int = 4096
    """Context window (tokens) the local generator is loaded with; prompts are budgeted to fit it."""

    generator_timeout_s: float = 120.0
    """How long one generation may take before the answer falls back to extractive mode."""

    answer_mode: Literal["auto", "extractive", "generative"] = "auto"
    """Default answer mode: auto is generative when a generator is available, else extractive."""

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1_000_000)

    def embedder_path(self) -> Path:
        """Where the embedding model is: a folder given directly, or its place in the model cache."""
        given = Path(self.embedder).expanduser()
        if given.is_dir():
            return given
        from index.models import list_models

        pulled = {m.name: m.path for m in list_models(self.models_dir) if m.path is not None}
        return Path(pulled.get(self.embedder) or self.models_dir / self.embedder)

    def generator_path(self) -> Path | None:
        """Where the local GGUF generator is (None when generation is turned off with "none")."""
        if self.generator.strip().lower() == "none":
            return None
        given = Path(self.generator).expanduser()
        if given.is_file():
            return given
        from index.models import list_models

        pulled = {m.name: m.path for m in list_models(self.models_dir) if m.path is not None}
        return Path(pulled.get(self.generator) or self.models_dir / f"{self.generator}.gguf")

    def index_config(self) -> IndexConfig:
        from index import IndexConfig

        return IndexConfig(
            data_dir=self.data_dir,
            embedder_path=self.embedder_path(),
            embedder_name=Path(self.embedder).name,
            chroma_url=self.chroma_url,
            cache_path=self.models_dir.parent / "embeddings.sqlite",
            embed_dtype=self.embed_dtype,
        )

    # -- the web app (vankien serve) -------------------------------------------------------------

    host: str = "127.0.0.1"
    """Address the app listens on; any other than loopback requires a login unless auth is "off"."""

    port: int = 7860
    """Port the app listens on."""

    auth: Literal["auto", "on", "off"] = "auto"
    """Login: auto asks for one when the app is reachable from other machines (non-loopback host)."""

    users_file: Path | None = None
    """Users who may log in (name and salted scrypt hash); default: users.json in the data folder."""

    max_upload_mb: float = 20.0
    """Largest file a user may upload in the app."""

    def users_path(self) -> Path:
        return self.users_file or self.data_dir / "users.json"
