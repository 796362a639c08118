"""The one frozen settings object: everything a site may change, read once at the entry point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import yaml

from jakcheck.errors import ConfigError

Region = Literal["US", "EU"]


@dataclass(frozen=True)
class Settings:
    region: Region = "EU"
    max_input_bytes: int = 100 * 1024 * 1024


def parse_region(value: str, where: str) -> Region:
    v = value.strip().upper()
    if v not in ("US", "EU"):
        raise ConfigError(f"{where}: region must be EU or US, not {value!r}")
    return cast(Region, v)


def load_settings(environ: Mapping[str, str], config_file: Path | None = None) -> Settings:
    """Settings from an optional YAML file, then JAKCHECK_* environment variables (which win)."""
    values: dict[str, object] = {}
    if config_file is not None:
        try:
            raw = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{config_file}: cannot read settings: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{config_file}: settings must be a mapping")
        values.update(raw)
    region = parse_region(str(environ.get("JAKCHECK_REGION", values.get("region", "EU"))), "region")
    max_bytes = environ.get("JAKCHECK_MAX_INPUT_BYTES", values.get("max_input_bytes", Settings.max_input_bytes))
    try:
        max_input = int(str(max_bytes))
    except ValueError as exc:
        raise ConfigError(f"max_input_bytes must be an integer, not {max_bytes!r}") from exc
    return Settings(region=region, max_input_bytes=max_input)
