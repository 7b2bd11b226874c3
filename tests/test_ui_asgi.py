"""The review app's server (ui/asgi.py): uploads refused before sign-in, the session cookie routes.

The guard is tested twice: as ASGI middleware around a fake inner app (to see that a refused body is
never read), and in the real server started the way ``xxgk ui`` starts it.
"""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.ui_app import running_app
from ui import auth, sessions
from ui.asgi import UploadGuard


def _fake_inner_app(read: list[int]) -> Starlette:
    async def upload(request):
        read.append(len(await request.body()))
        return PlainTextResponse("stored")

    return Starlette(routes=[Route("/_stcore/upload_file/{session}/{file}", upload, methods=["PUT", "OPTIONS"])],
                     middleware=[Middleware(UploadGuard)])


def test_the_guard_refuses_uploads_of_sessions_not_signed_in_without_reading_them_with_fake_app(ui_env: Path) -> None:
    read: list[int] = []
    client = TestClient(_fake_inner_app(read))
    refused = client.put("/_stcore/upload_file/anon/f1", content=b"x" * 2_000_000)
    assert refused.status_code == 401 and refused.json()["error"].startswith("请先登录")
    assert read == []  # the body never reached the upload handler
    sessions.register("signed", sessions.issue(auth.add_user("李四", "secret-pass")))
    assert client.put("/_stcore/upload_file/signed/f1", content=b"report").text == "stored"
    assert read == [6]
    auth.end_sessions("李四")  # signed out elsewhere: refused at once
    assert client.put("/_stcore/upload_file/signed/f2", content=b"report").status_code == 401


@pytest.fixture()
def server(ui_env: Path):
    """The app as `xxgk ui` serves it; yields its port."""
    auth.add_user("李四", "secret-pass", role="admin")
    with running_app(ui_env) as port:
        yield port


@pytest.mark.slow
def test_the_real_server_answers_401_to_an_anonymous_chunked_upload_before_reading_it(server: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    conn.putrequest("PUT", "/_stcore/upload_file/any-session/any-file")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.endheaders()
    conn.send(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")  # one 64 KB chunk of a body that would never end
    answer = conn.getresponse()
    assert answer.status == 401
    assert "请先登录" in answer.read().decode("utf-8")
    conn.close()


@pytest.mark.slow
def test_the_real_server_gives_the_cookie_only_for_a_valid_code(server: int) -> None:
    def post(body: bytes) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
        conn.request("POST", "/xxgk/session", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        return r.status, r.getheader("set-cookie") or ""

    assert post(b"code=made-up") == (400, "")
    assert post(b"code=" + b"x" * 10_000)[0] == 413
    # the code lives in the server process: the browser test signs in and redeems it through the page

