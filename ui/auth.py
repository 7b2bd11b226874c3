"""Reviewer accounts: a small JSON users file with scrypt password hashes.

The file is ``$XXGK_USERS_FILE``, else ``users.json`` in the store's data directory. Passwords are
never stored: each entry keeps a salted scrypt hash, so a copied users file does not give sign-ins
away. ``xxgk ui --add-user NAME`` (or the first start of ``xxgk ui``) writes it.
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

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~16 MiB and a few tens of ms per check
ROLES = ("admin", "reviewer")


class User(BaseModel):
    name: str
    display: str = ""
    role: str = "reviewer"
    hash: str
    created_at: str = ""

    @property
    def shown(self) -> str:
        return self.display or self.name


def users_file() -> Path:
    """Where the accounts live (created on the first ``add_user``)."""
    explicit = os.environ.get("XXGK_USERS_FILE")
    if explicit:
        return Path(explicit).expanduser()
    from extractor.store.config import data_dir

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


def load_users(path: Path | None = None) -> dict[str, User]:
    path = path or users_file()
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8") or "{}")
        return {name: User(name=name, **entry) for name, entry in raw.get("users", {}).items()}
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"用户文件无法读取 / cannot read the users file {path}: {exc}") from exc


def save_users(users: dict[str, User], path: Path | None = None) -> Path:
    """Write atomically with owner-only permissions."""
    path = path or users_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"users": {u.name: u.model_dump(exclude={"name"}) for u in users.values()}}
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    os.chmod(tmp, 0o600)
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
    user = User(name=name, display=display, role=role, hash=hash_password(password),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"))
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


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    """The user when the password matches; None otherwise (same answer for an unknown name)."""
    user = load_users(path).get(name.strip())
    if user is None:
        check_password(password, hash_password("x"))  # spend the same time: no user-name oracle
        return None
    return user if check_password(password, user.hash) else None
