"""Reviewer accounts: a small JSON users file with scrypt password hashes.

The file is ``$XXGK_USERS_FILE``, else ``users.json`` in the store's data directory. Passwords are
never stored: each entry keeps a salted scrypt hash, so a copied users file does not give sign-ins
away. ``xxgk ui --add-user NAME`` (or the first start of ``xxgk ui``) writes it.

Each account also has a *stamp* (:func:`stamp`) that changes whenever its password, its role or its
``sessions_since`` changes: a signed session carries the stamp it was issued with, so a reset, a
demotion, a deletion or "sign out everywhere" ends every session of that account at its next request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from extractor._errors import ConfigError
from extractor.settings import settings
from extractor.store.config import data_dir

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~16 MiB and a few tens of ms per check
ROLES = ("admin", "reviewer")


class User(BaseModel):
    name: str
    display: str = ""
    role: str = "reviewer"
    hash: str
    created_at: str = ""
    sessions_since: str = ""  # sessions issued before this moment (ISO, UTC) are void: sign-out ends them all

    @property
    def shown(self) -> str:
        return self.display or self.name


def users_file() -> Path:
    """Where the accounts live (created on the first ``add_user``)."""
    explicit = settings().ui.users_file
    if explicit:
        return Path(explicit).expanduser()
    return data_dir() / "users.json"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64): self-describing so costs can rise later."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


_CACHE: dict[Path, tuple[tuple[int, int, int], dict[str, User]]] = {}


def load_users(path: Path | None = None) -> dict[str, User]:
    """The accounts, read again whenever the file changed (every UI request rechecks its account)."""
    path = path or users_file()
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    version = (st.st_mtime_ns, st.st_size, st.st_ino)
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == version:
        return dict(cached[1])
    try:
        raw = json.loads(path.read_text(encoding="utf-8") or "{}")
        users = {name: User(name=name, **entry) for name, entry in raw.get("users", {}).items()}
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"用户文件无法读取 / cannot read the users file {path}: {exc}") from exc
    _CACHE[path] = (version, users)
    return dict(users)


def save_users(users: dict[str, User], path: Path | None = None) -> Path:
    """Write atomically; the temporary file is created owner-only, never readable by others for a moment."""
    path = path or users_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"users": {u.name: u.model_dump(exclude={"name"}) for u in users.values()}}
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(body, ensure_ascii=False, indent=2))
    tmp.replace(path)
    return path


def add_user(name: str, password: str, *, display: str = "", role: str = "reviewer",
             path: Path | None = None) -> User:
    """Create or reset an account (a new password replaces the old hash)."""
    name = name.strip()
    if not name:
        raise ConfigError("用户名不能为空 / the user name is empty")
    if len(password) < 6:
        raise ConfigError("密码至少 6 个字符 / the password needs at least 6 characters")
    if role not in ROLES:
        raise ConfigError(f"角色只能是 {ROLES} / role must be one of {ROLES}")
    users = load_users(path)
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    old = users.get(name)
    if old is not None and old.role == "admin" and role != "admin" and sum(u.role == "admin" for u in users.values()) == 1:
        raise ConfigError("不能取消最后一个管理员的管理员身份 / the last administrator must stay an administrator")
    user = User(name=name, display=display, role=role, hash=hash_password(password),
                created_at=old.created_at if old else now, sessions_since=now)
    users[name] = user
    save_users(users, path)
    return user


def remove_user(name: str, *, path: Path | None = None) -> None:
    """Delete an account; the last administrator stays (someone must be able to manage the others)."""
    users = load_users(path)
    user = users.get(name)
    if user is None:
        raise ConfigError(f"没有这个账号 / no account {name!r}")
    if user.role == "admin" and sum(1 for u in users.values() if u.role == "admin") == 1:
        raise ConfigError("不能删除最后一个管理员 / the last administrator cannot be removed")
    del users[name]
    save_users(users, path)


def end_sessions(name: str, *, path: Path | None = None) -> None:
    """Void every session of an account issued until now (signing out ends them on every device)."""
    users = load_users(path)
    user = users.get(name)
    if user is None:
        return
    users[name] = user.model_copy(update={"sessions_since": datetime.now(UTC).isoformat(timespec="microseconds")})
    save_users(users, path)


def stamp(user: User) -> str:
    """What a session must still match: changes with the password, the role and ``sessions_since``."""
    raw = f"{user.name}\x00{user.hash}\x00{user.role}\x00{user.sessions_since}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


_DUMMY: list[str] = []  # a hash computed once, checked for unknown names


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    """The user when the password matches; None otherwise.

    An unknown name costs exactly one scrypt check, as a wrong password does (a hash made once and kept,
    not made anew per attempt, which would cost a second scrypt and tell the names apart by time).
    """
    user = load_users(path).get(name.strip())
    if user is None:
        if not _DUMMY:
            _DUMMY.append(hash_password(secrets.token_urlsafe(12)))
        check_password(password, _DUMMY[0])
        return None
    return user if check_password(password, user.hash) else None
