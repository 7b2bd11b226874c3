"""Where the LLM extractor sends its calls and what they cost: one frozen settings object.

Settings come in layers, each overriding the one before: built-in defaults, a named preset, the
``[llm]`` table of the TOML config file (``$XXGK_CONFIG`` or ``~/.config/xxgk/config.toml``), the
``XXGK_LLM_*`` environment variables (``OPENAI_API_KEY`` as the key's fallback) and finally the
keyword arguments of :func:`load_config`. The presets only carry facts about each kind of endpoint
(its usual URL, the structured-output mode it supports, list prices); the user still names the model
where the preset cannot know it.

Example ``~/.config/xxgk/config.toml``::

    [llm]
    preset = "deepseek"          # openai, deepseek, qwen, vllm, ollama, llamacpp
    api_key = "sk-..."           # or XXGK_LLM_API_KEY
    concurrency = 4
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from extractor._errors import ConfigError
from extractor.settings import config_path, config_table, settings

MODES: tuple[str, ...] = ("json_schema", "json", "tools", "md_json")

# Facts about each kind of endpoint. Prices are US dollars per million tokens (input, output).
PRESETS: Mapping[str, Mapping[str, Any]] = {
    "openai": {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini", "mode": "json_schema",
               "price_input": 0.15, "price_output": 0.60, "concurrency": 4},
    "deepseek": {"base_url": "https://api.deepseek.com/v1", "model": "deepseek-chat", "mode": "json",
                 "price_input": 0.27, "price_output": 1.10, "concurrency": 4},
    "qwen": {"base_url": "https://dashscope.aliyuncs.com/compatible-mode/v1", "model": "qwen-plus", "mode": "json",
             "concurrency": 4},
    "vllm": {"base_url": "http://127.0.0.1:8000/v1", "mode": "json_schema", "api_key": "EMPTY"},
    "ollama": {"base_url": "http://127.0.0.1:11434/v1", "mode": "json_schema", "api_key": "ollama"},
    "llamacpp": {"base_url": "http://127.0.0.1:8080/v1", "model": "qwen2.5-coder-0.5b", "mode": "json_schema",
                 "api_key": "local", "concurrency": 4},
}
PRESET_ALIASES: Mapping[str, str] = {"dashscope": "qwen", "llama.cpp": "llamacpp", "llama-server": "llamacpp",
                                     "local": "llamacpp"}

ENV_VARS: Mapping[str, str] = {
    "base_url": "XXGK_LLM_BASE_URL",
    "model": "XXGK_LLM_MODEL",
    "api_key": "XXGK_LLM_API_KEY",
    "mode": "XXGK_LLM_MODE",
    "concurrency": "XXGK_LLM_CONCURRENCY",
    "timeout": "XXGK_LLM_TIMEOUT",
    "retries": "XXGK_LLM_RETRIES",
    "price_input": "XXGK_LLM_PRICE_INPUT",
    "price_output": "XXGK_LLM_PRICE_OUTPUT",
    "cache": "XXGK_LLM_CACHE",
    "cache_dir": "XXGK_CACHE_DIR",
    "think_tokens": "XXGK_LLM_THINK_TOKENS",
}


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """Everything a call needs to know about its endpoint; immutable so one object serves every thread."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    mode: str = "json_schema"
    concurrency: int = 2
    timeout: float = 120.0  # seconds for one HTTP request
    retries: int = 2  # transport retries (timeouts, 429, 5xx), with exponential backoff
    price_input: float = 0.0  # per million prompt tokens
    price_output: float = 0.0  # per million completion tokens
    cache: bool = True
    cache_dir: str | None = None
    temperature: float = 0.0
    think_tokens: int = 0  # extra answer tokens for a reasoning model's <think> block
    preset: str | None = None
    source: str = "defaults"  # where the base URL came from, for error messages

    def require(self) -> LLMConfig:
        """Raise a ConfigError naming the missing setting; return self when the endpoint is usable."""
        if not self.base_url:
            raise ConfigError(
                "未配置 LLM 接口 / no LLM endpoint configured: set XXGK_LLM_BASE_URL (or a preset in "
                f"{config_path()}), or start a local model with `xxgk llm serve`")
        if not self.model:
            raise ConfigError(f"未配置模型 / no LLM model configured for {self.base_url}: set XXGK_LLM_MODEL")
        return self

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.price_input + completion_tokens * self.price_output) / 1_000_000

    def cache_path(self) -> Path:
        if self.cache_dir:
            return Path(self.cache_dir).expanduser() / "llm"
        return settings().cache_root() / "xxgk" / "llm"

    def redacted(self) -> dict[str, Any]:
        """The settings with the key hidden, for logs and `--verbose` output."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if out.get("api_key"):
            out["api_key"] = out["api_key"][:3] + "…"
        return out


_TYPES = {f.name: f.type for f in fields(LLMConfig)}


def _coerce(name: str, value: Any, where: str) -> Any:
    kind = str(_TYPES.get(name, "str"))
    try:
        if value is None:
            return None
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("bool"):
            if isinstance(value, str):
                return value.strip().lower() not in ("0", "false", "no", "off", "")
            return bool(value)
        return str(value).strip()
    except (TypeError, ValueError):
        raise ConfigError(f"配置项无效 / invalid LLM setting {name}={value!r} ({where})") from None


def _read_file(path: Path) -> dict[str, Any]:
    return config_table(path, "llm")


def _preset(name: str | None) -> dict[str, Any]:
    if not name:
        return {}
    key = PRESET_ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in PRESETS:
        raise ConfigError(f"未知的预设 / unknown LLM preset {name!r}: {', '.join(PRESETS)}")
    return dict(PRESETS[key], preset=key)


def load_config(env: Mapping[str, str] | None = None, path: Path | None = None, **overrides: Any) -> LLMConfig:
    """Merge defaults, preset, config file, environment and overrides into one LLMConfig.

    ``overrides`` set to None are ignored, so callers can pass CLI options straight through.
    """
    env = os.environ if env is None else env
    file_values = _read_file(path or config_path())
    env_values: dict[str, Any] = {name: env[var] for name, var in ENV_VARS.items() if env.get(var, "").strip()}
    fallback = {"api_key": env["OPENAI_API_KEY"]} if env.get("OPENAI_API_KEY", "").strip() else {}
    given = {k: v for k, v in overrides.items() if v is not None}
    preset_name = given.get("preset") or env.get("XXGK_LLM_PRESET", "").strip() or file_values.get("preset")
    merged: dict[str, Any] = {}
    source = "defaults"
    layers = ((fallback, "OPENAI_API_KEY"), (_preset(preset_name), f"preset {preset_name}"),
              (file_values, str(path or config_path())), (env_values, "environment"), (given, "arguments"))
    for layer, where in layers:
        for name, value in layer.items():
            if name not in _TYPES:
                if where.startswith("preset"):
                    continue
                raise ConfigError(f"未知的配置项 / unknown LLM setting {name!r} ({where})")
            merged[name] = _coerce(name, value, where)
            if name == "base_url":
                source = where
    merged["source"] = source
    merged["preset"] = _preset(preset_name).get("preset")
    cfg = LLMConfig(**merged)
    mode = cfg.mode.strip().lower()
    if mode not in MODES:
        raise ConfigError(f"未知的模式 / unknown LLM mode {cfg.mode!r}: {', '.join(MODES)}")
    if cfg.concurrency < 1 or cfg.retries < 0 or cfg.timeout <= 0 or cfg.think_tokens < 0:
        raise ConfigError("concurrency ≥ 1, retries ≥ 0, timeout > 0 and think_tokens ≥ 0 are required")
    return replace(cfg, mode=mode)


__all__ = ["ENV_VARS", "MODES", "PRESETS", "LLMConfig", "config_path", "load_config"]
