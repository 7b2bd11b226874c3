"""Signed, expiring sessions: what keeps a reviewer signed in across a reload, and ends it.

A session is a token ``payload.signature`` (HMAC-SHA256 with a server key): the account name, when it
was issued, when it expires and the account's :func:`ui.auth.stamp`. Nothing is stored per session, and
every request checks the token again against the users file — a deleted account, a reset password, a
changed role or a sign-out (which renews the stamp) ends it at once, as does its expiry.

The browser keeps the token in an HttpOnly, SameSite=Strict cookie. The app cannot set a cookie from a
websocket, so after sign-in the page redeems a one-time code at ``POST /xxgk/session`` (ui/asgi.py),
whose answer sets it; a reload then brings the token back with the websocket's handshake.

The registry of signed-in Streamlit sessions lets the server refuse file uploads from any other
session before a byte of the body is read (ui/asgi.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

from extractor.settings import settings
from ui.auth import User, load_users, stamp, users_file

COOKIE = "xxgk_session"
CODE_SECONDS = 60.0  # a one-time code for the cookie route lives this long


def session_seconds() -> float:
    """How long a sign-in lasts: ``$XXGK_UI_SESSION_HOURS`` (default 12 hours), at least a minute."""
    return max(60.0, settings().ui.session_hours * 3600)


def _key_file() -> Path:
    return users_file().with_name("ui-session.key")


_KEY: dict[Path, bytes] = {}


def secret() -> bytes:
    """The signing key: ``$XXGK_UI_SECRET``, else a random key kept owner-only beside the users file."""
    explicit = settings().ui.secret
    if explicit:
        return hashlib.sha256(explicit.encode()).digest()
    path = _key_file()
    if path in _KEY:
        return _KEY[path]
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key)
        except FileExistsError:  # another process made it a moment ago
            key = path.read_bytes()
    if len(key) < 32:
        raise ValueError(f"the session key {path} is too short; delete it to make a new one")
    _KEY[path] = key
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(user: User, *, now: float | None = None) -> str:
    """A token for ``user`` valid for :func:`session_seconds`."""
    now = time.time() if now is None else now
    payload = json.dumps({"u": user.name, "iat": int(now), "exp": int(now + session_seconds()), "st": stamp(user)},
                         ensure_ascii=False, separators=(",", ":")).encode()
    body = _b64(payload)
    return f"{body}.{_b64(hmac.new(secret(), body.encode(), hashlib.sha256).digest())}"


def verify(token: str | None, *, now: float | None = None) -> User | None:
    """The account a token stands for, or None: bad signature, expired, or the account changed or is gone."""
    if not token or token.count(".") != 1 or len(token) > 4096:
        return None
    body, sig = token.split(".")
    want = hmac.new(secret(), body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(sig), want):
            return None
        claims = json.loads(_unb64(body))
        name, exp, st = str(claims["u"]), float(claims["exp"]), str(claims["st"])
    except (ValueError, KeyError, TypeError):
        return None
    if (time.time() if now is None else now) >= exp:
        return None
    user = load_users().get(name)
    if user is None or not hmac.compare_digest(stamp(user), st):
        return None
    return user


# -- one-time codes: the websocket session hands its token to the cookie route ----------------------
_LOCK = threading.Lock()
_CODES: dict[str, tuple[str, float]] = {}
_SIGNED_IN: dict[str, str] = {}  # Streamlit session id -> token


def cookie_code(token: str) -> str:
    """A single-use code that ``POST /xxgk/session`` exchanges for the cookie holding ``token``."""
    code = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _LOCK:
        for old in [c for c, (_, t) in _CODES.items() if now - t > CODE_SECONDS]:
            del _CODES[old]
        _CODES[code] = (token, now)
    return code


def redeem(code: str) -> str | None:
    """The token a code was made for (once, within :data:`CODE_SECONDS`), if it is still valid."""
    with _LOCK:
        got = _CODES.pop(code, None)
    if got is None or time.monotonic() - got[1] > CODE_SECONDS:
        return None
    return got[0] if verify(got[0]) is not None else None


def register(session_id: str, token: str) -> None:
    """This Streamlit session is signed in with ``token`` (the upload guard asks :func:`upload_allowed`)."""
    with _LOCK:
        _SIGNED_IN[session_id] = token
        crowded = len(_SIGNED_IN) > 1000
    if crowded:  # sessions closed without signing out: forget those whose token no longer holds
        for sid, tok in list(_SIGNED_IN.items()):
            if verify(tok) is None:
                unregister(sid)


def unregister(session_id: str) -> None:
    with _LOCK:
        _SIGNED_IN.pop(session_id, None)


def upload_allowed(session_id: str) -> bool:
    """Whether an upload to this Streamlit session may be read: only a signed-in, still valid session."""
    with _LOCK:
        token = _SIGNED_IN.get(session_id)
    if token is None:
        return False
    if verify(token) is None:
        unregister(session_id)
        return False
    return True
