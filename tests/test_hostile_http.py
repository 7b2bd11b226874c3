"""``xxgk serve`` against hostile clients, on a real uvicorn on loopback: the key before the body, a chunked
body counted and cut, every error JSON without a traceback or a path, loopback by default and said so."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from tests import requirements

requirements.package("fastapi", "api", module_level=True)

from tests.test_api_server import KEY, Server

BOUNDARY = "xxgkboundary"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("serve")
    srv = Server(f"sqlite:///{tmp / 'db.sqlite'}", "--max-request-mb", "2", env={"TMPDIR": str(tmp)})
    yield srv
    srv.stop()


def _chunked_upload(port: int, key: str | None, total: int, chunk: int = 64 * 1024,
                    wait: float = 10.0) -> tuple[bytes, int]:
    """POST /jobs with a chunked multipart body of ``total`` bytes (no Content-Length); returns the
    answer and how many body bytes were sent before it came (or before the server stopped reading)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=wait)
    head = (f"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            + (f"X-API-Key: {key}\r\n" if key else "") + "\r\n").encode()
    sock.sendall(head)
    part = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()
    answer = bytearray()
    sent = 0

    def read() -> None:
        try:
            while data := sock.recv(65536):
                answer.extend(data)
                if b"\r\n\r\n" in answer and b"}" in answer:
                    return
        except OSError:
            return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    body = part + b"x" * chunk
    try:
        while sent < total and reader.is_alive():
            sock.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n")
            sent += len(body)
            body = b"x" * chunk
            time.sleep(0.001)
    except OSError:
        pass  # the server answered and closed: what we measure
    reader.join(wait)
    sock.close()
    return bytes(answer), sent


def _json_body(answer: bytes) -> dict:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])  # a JSONResponse: Content-Length, not chunked


def test_a_chunked_upload_without_a_key_is_refused_before_its_body_is_read(server: Server) -> None:
    answer, sent = _chunked_upload(server.port, None, total=600 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert _json_body(answer)["error"] == "unauthorized"
    assert sent < 50 * 1024 * 1024  # answered at the headers; the old server read all 600 MB to temp files


def test_a_chunked_upload_over_the_request_limit_is_cut_with_413(server: Server) -> None:
    answer, sent = _chunked_upload(server.port, KEY, total=40 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    body = _json_body(answer)
    assert body["error"] == "too_large" and body["limit"] == 2 * 1024 * 1024
    assert sent < 30 * 1024 * 1024  # the old server read the whole chunked body: no Content-Length to check


@pytest.mark.parametrize("path", [
    "/documents/99999999999999999999999/result",  # past a 64-bit integer: was a 500 from the database
    "/documents/-5/result", "/documents/abc/result", "/jobs/" + "x" * 5000, "/jobs/none/exports/evil",
    "/jobs?limit=100000000000000000000", "/no/such/route", "/documents/9223372036854775807/result",
])
def test_every_error_is_json_with_a_message_never_a_traceback_or_a_path(server: Server, path: str) -> None:
    r = server.client.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:300])
    body = r.json()
    assert set(body) >= {"error", "message"} and body["message"]
    assert "Traceback" not in r.text and "/tmp" not in r.text and "site-packages" not in r.text


def test_a_wrong_method_and_a_missing_key_are_json_too(server: Server) -> None:
    r = server.client.delete("/jobs")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    import httpx

    r = httpx.get(server.url + "/jobs/" + "x" * 5000, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_serve_binds_to_loopback_by_default_and_says_so(tmp_path: Path) -> None:
    srv = Server(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        line = srv.proc.stderr.readline().decode()  # type: ignore[union-attr]
        assert "http://127.0.0.1:" in line and "loopback only" in line and "X-API-Key required" in line
        addresses = list(_listening_on(srv.port))
        assert addresses and all(a.startswith("127.") for a in addresses)
    finally:
        srv.stop()


def _listening_on(port: int) -> list[str]:
    """The local addresses listening on ``port`` (from /proc/net/tcp: IPv4, little-endian hex)."""
    out = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        ip_hex, port_hex = local.split(":")
        if int(port_hex, 16) == port and state == "0A":
            out.append(".".join(str(int(ip_hex[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return out
