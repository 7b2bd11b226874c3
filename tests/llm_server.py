"""A real llama-server for tests, shared by every test module that asks for it (one per model per session).

Usage in a test module::

    from tests.llm_server import local_server

    llm_server = local_server()            # a session fixture named `llm_server` (0.5B model)

    @pytest.mark.llm
    def test_something(llm_server):
        client = openai.OpenAI(base_url=llm_server.base_url, api_key="local")

The fixture skips, with the reason, when the [local] extra (model parts or server binary) is missing.
Servers are reference-counted across modules and stopped when the last user's session ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from extractor.llm import llama_server, local_model
from tests import requirements

_LOCK = threading.Lock()
_SERVERS: dict[tuple[Any, ...], list[Any]] = {}  # key → [LocalServer, users]


def acquire(model: str | None = None, **kwargs: Any) -> llama_server.LocalServer:
    """The running server for (model, kwargs), started on first use."""
    key = (local_model.get_model(model).name, tuple(sorted(kwargs.items())))
    with _LOCK:
        entry = _SERVERS.get(key)
        if entry is None or not entry[0].running:
            entry = [llama_server.start_server(model, **kwargs), 0]
            _SERVERS[key] = entry
        entry[1] += 1
        return entry[0]


def release(server: llama_server.LocalServer) -> None:
    """Drop one user; stop the server when none is left."""
    with _LOCK:
        for key, entry in list(_SERVERS.items()):
            if entry[0] is server:
                entry[1] -= 1
                if entry[1] <= 0:
                    server.stop()
                    del _SERVERS[key]
                return


def local_server(model: str | None = None, *, name: str = "llm_server", **kwargs: Any) -> Any:
    """Make a session-scoped fixture yielding a running ``LocalServer`` (skips when it cannot run here)."""

    @pytest.fixture(scope="session", name=name)
    def _fixture() -> Iterator[llama_server.LocalServer]:
        requirements.local_llm(model)
        server = acquire(model, **kwargs)
        try:
            yield server
        finally:
            release(server)

    return _fixture
