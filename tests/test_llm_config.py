"""LLM settings: defaults < preset < config file < environment < arguments."""

from __future__ import annotations

import pytest

from tests import requirements

requirements.package("instructor", "llm", module_level=True)

from extractor._errors import ConfigError
from extractor.llm.config import PRESETS, load_config


def _toml(tmp_path, body: str):
    p = tmp_path / "config.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_precedence_file_then_env_then_arguments(tmp_path):
    path = _toml(tmp_path, '[llm]\npreset = "deepseek"\nmodel = "from-file"\nconcurrency = 7\n'
                           'price_input = 1.5\n')
    env = {"XXGK_LLM_MODEL": "from-env", "XXGK_LLM_TIMEOUT": "9"}
    cfg = load_config(env=env, path=path)
    assert cfg.base_url == PRESETS["deepseek"]["base_url"]  # preset
    assert cfg.mode == "json"  # preset: DeepSeek speaks json_object
    assert cfg.concurrency == 7 and cfg.price_input == 1.5  # file over preset
    assert cfg.model == "from-env" and cfg.timeout == 9.0  # env over file
    cfg2 = load_config(env=env, path=path, model="from-arg", timeout=None)
    assert cfg2.model == "from-arg" and cfg2.timeout == 9.0  # arguments over env; None ignored


def test_api_key_falls_back_to_openai_key_only_when_unset(tmp_path):
    missing = tmp_path / "none.toml"
    assert load_config(env={"OPENAI_API_KEY": "sk-openai"}, path=missing).api_key == "sk-openai"
    both = {"OPENAI_API_KEY": "sk-openai", "XXGK_LLM_API_KEY": "sk-xxgk"}
    assert load_config(env=both, path=missing).api_key == "sk-xxgk"
    in_file = _toml(tmp_path, '[llm]\napi_key = "sk-file"\n')
    assert load_config(env={"OPENAI_API_KEY": "sk-openai"}, path=in_file).api_key == "sk-file"


def test_config_file_from_xxgk_config_variable(tmp_path, monkeypatch):
    path = _toml(tmp_path, '[llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nmode = "JSON_SCHEMA"\n')
    monkeypatch.setenv("XXGK_CONFIG", str(path))
    for var in ("XXGK_LLM_BASE_URL", "XXGK_LLM_MODEL", "XXGK_LLM_MODE", "XXGK_LLM_PRESET"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config()
    assert (cfg.base_url, cfg.model, cfg.mode) == ("http://127.0.0.1:9/v1", "m", "json_schema")
    assert cfg.require() is cfg


@pytest.mark.parametrize("body, env, words", [
    ('[llm]\nmode = "xml"\n', {}, "unknown LLM mode"),
    ('[llm]\nmodle = "x"\n', {}, "unknown LLM setting 'modle'"),
    ('[llm\n', {}, "cannot read the config file"),
    ("", {"XXGK_LLM_PRESET": "nope"}, "unknown LLM preset"),
    ("", {"XXGK_LLM_CONCURRENCY": "many"}, "invalid LLM setting concurrency"),
])
def test_bad_settings_are_config_errors(tmp_path, body, env, words):
    with pytest.raises(ConfigError, match=words):
        load_config(env=env, path=_toml(tmp_path, body))


def test_missing_endpoint_says_what_to_set(tmp_path):
    cfg = load_config(env={}, path=tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="XXGK_LLM_BASE_URL"):
        cfg.require()


def test_every_preset_loads_and_local_alias(tmp_path):
    for name in PRESETS:
        cfg = load_config(env={}, path=tmp_path / "none.toml", preset=name)
        assert cfg.base_url and cfg.mode in ("json_schema", "json") and cfg.preset == name
    assert load_config(env={}, path=tmp_path / "none.toml", preset="llama.cpp").preset == "llamacpp"


def test_cost_per_million_tokens(tmp_path):
    cfg = load_config(env={}, path=tmp_path / "none.toml", price_input=2.0, price_output=8.0)
    assert cfg.cost(1_000_000, 500_000) == pytest.approx(6.0)


def test_example_config_file_loads():
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "llm-config.toml"
    cfg = load_config(env={}, path=path)
    assert cfg.preset == "llamacpp" and cfg.base_url == PRESETS["llamacpp"]["base_url"]
    assert cfg.mode == "json_schema"
