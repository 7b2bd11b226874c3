"""FakeOpenAIServer: a small loopback HTTP server that plays an OpenAI-compatible endpoint in tests.

It exists to make the endpoint misbehave on purpose (time out, 429, 500, 401, invalid JSON, invented
numbers), which a real server does not do on demand. In ``copy`` behaviour it answers like a careful
reader: it takes the row printed after "原文：" in the last user message and returns its last cells in
the schema's field order, so the pipeline around the model (grounding, re-asks, usage, cache,
reconciliation) can be checked without a model. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from extractor.llm.locate import BLANK
from extractor.llm.models import ANSWER_KEY
from tests.loopback import LoopbackServer

_NUM = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?$")


def copy_row(body: dict[str, Any]) -> dict[str, Any]:
    """The careful reader's answer: ``{"数值": [...]}`` with the row's last printed cells, one per column
    (for several one-column rows in one prompt, shown the same way, one number per row)."""
    schema = body["response_format"]["json_schema"]["schema"] if "response_format" in body and \
        body["response_format"].get("type") == "json_schema" else None
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")  # the row prompt
    n = schema["properties"][ANSWER_KEY]["maxItems"] if schema else 0
    return {ANSWER_KEY: _copy_cells(user.split("数值：", 1)[1].strip(), n)}


def _copy_cells(printed: str, n: int) -> list[int | float | None]:
    if printed.startswith("[") and printed.endswith("]"):  # cells shown as the answer's array
        cells = [c.strip() for c in printed[1:-1].split(", ")]
    else:
        cells = [c.strip() for c in printed.split(" | ")]
    if len(cells) == 1 and cells[0] != BLANK:  # a sentence, not cells: its numbers in order
        cells = re.findall(r"\d[\d,]*(?:\.\d+)?", printed)
    cells = [c.split("=", 1)[1] if "=" in c else c for c in cells]  # cells shown under their field names
    tail = cells[-n:] if n else []
    out: list[int | float | None] = []
    for cell in tail:
        cell = cell.replace(",", "")
        out.append((float(cell) if "." in cell else int(cell)) if _NUM.match(cell) else None)
    return out


def every_cell(answer: dict[str, Any], value: Any) -> dict[str, Any]:
    """The same answer with ``value`` in every column (an invented or misplaced number)."""
    return {ANSWER_KEY: [value] * len(answer[ANSWER_KEY])}


class FakeOpenAIServer(LoopbackServer):
    """``behaviour``: copy | invent | invent_once | timeout | 429 | 500 | 401 | invalid_json, or a callable
    taking the request body and returning the answer dict."""

    def __init__(self, behaviour: str | Callable[[dict[str, Any]], dict[str, Any]] = "copy",
                 delay: float = 0.0) -> None:
        self.behaviour = behaviour
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    n = len(server.requests)
                server._answer(self, body, n)

        self._serve(Handler)

    # ---------------------------------------------------------------------------------- answers
    def _answer(self, h: BaseHTTPRequestHandler, body: dict[str, Any], n: int) -> None:
        b = self.behaviour
        if self.delay:
            time.sleep(self.delay)
        if b == "timeout":
            time.sleep(5)
            return self._send(h, 200, self._completion(body, {}))
        if b in ("429", "500", "401"):
            code = int(b)
            return self._send(h, code, {"error": {"message": f"fake error {code}", "type": "fake", "code": code}})
        if b == "invalid_json":
            return self._send(h, 200, self._completion(body, None, content="{numbers: twelve, 3"))
        if callable(b):
            return self._send(h, 200, self._completion(body, b(body)))
        answer = copy_row(body)
        if b == "invent" or (b == "invent_once" and not _is_reask(body)):
            answer = every_cell(answer, 987654)
        return self._send(h, 200, self._completion(body, answer))

    @staticmethod
    def _completion(body: dict[str, Any], answer: dict[str, Any] | None, content: str | None = None) -> dict:
        text = content if content is not None else json.dumps(answer, ensure_ascii=False)
        prompt_chars = sum(len(m.get("content") or "") for m in body.get("messages", []))
        return {
            "id": "fake-1", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_chars, "completion_tokens": len(text),
                      "total_tokens": prompt_chars + len(text)},
        }

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            h.send_response(code)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _is_reask(body: dict[str, Any]) -> bool:
    return sum(1 for m in body.get("messages", []) if m["role"] == "user") > 1


__all__ = ["FakeOpenAIServer", "copy_row", "every_cell"]
