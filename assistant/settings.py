"""The one settings object, read from the environment (prefix VANKIEN_) at the entry points."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite"
