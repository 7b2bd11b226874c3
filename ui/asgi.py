"""The review app's server: Streamlit's own (``st.App``) plus a guard on uploads and the session cookie.

``xxgk ui`` runs ``streamlit run ui/asgi.py``; Streamlit finds ``app`` and serves ``ui/app.py`` with it.

- Uploads: Streamlit takes files at ``/_stcore/upload_file/<session>/<file>`` from any open browser
  session, signed in or not. The guard answers 401 to every request there whose session has not
  signed in (ui/sessions.py keeps the list), before a byte of the body is read; Streamlit's own
  ``server.maxUploadSize``, set by ``xxgk ui`` to the app's limit, caps the rest.
- ``POST /xxgk/session`` exchanges the one-time code the sign-in page sends for an HttpOnly,
  SameSite=Strict cookie holding the session token; ``POST /xxgk/signout`` clears it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import parse_qs

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

try:
    import ui  # noqa: F401
except ImportError:  # started as a bare script: the package is the folder above
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ui import sessions

APP = Path(__file__).with_name("app.py")
UPLOAD_PATH = "/_stcore/upload_file/"


async def _deny(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class UploadGuard:
    """Refuse uploads from sessions that have not signed in, without reading their bodies."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        at = path.find(UPLOAD_PATH)
        if at >= 0 and scope.get("method") != "OPTIONS":
            session_id = path[at + len(UPLOAD_PATH):].split("/", 1)[0]
            if not sessions.upload_allowed(session_id):
                await _deny(send, 401, "请先登录 / sign in first")
                return
        await self.app(scope, receive, send)


def _cookie(response: Response, token: str, max_age: int) -> None:
    response.set_cookie(sessions.COOKIE, token, max_age=max_age, httponly=True, samesite="strict", path="/")


async def _small_body(request: Request, limit: int = 4096) -> bytes | None:
    """The request body, or None once it passes ``limit`` bytes (counted as it streams, chunked or not)."""
    got = b""
    async for chunk in request.stream():
        got += chunk
        if len(got) > limit:
            return None
    return got


async def set_session_cookie(request: Request) -> Response:
    body = await _small_body(request)
    if body is None:
        return JSONResponse({"error": "请求过大 / request too large"}, status_code=413)
    code = parse_qs(body.decode("utf-8", "replace")).get("code", [""])[0]
    token = sessions.redeem(code)
    if token is None:
        return JSONResponse({"error": "无效或过期的代码 / invalid or expired code"}, status_code=400)
    response = JSONResponse({"ok": True})
    _cookie(response, token, int(sessions.session_seconds()))
    return response


async def clear_session_cookie(_request: Request) -> Response:
    response = JSONResponse({"ok": True})
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict")
    return response


app = st.App(
    str(APP),
    routes=[Route("/xxgk/session", set_session_cookie, methods=["POST"]),
            Route("/xxgk/signout", clear_session_cookie, methods=["POST"])],
    middleware=[Middleware(UploadGuard)],
)
