"""Login for the app: a users file of salted scrypt hashes, and when a login is required."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from ingest.records import UserError

_N, _R, _P = 2**14, 8, 1
_NAME = re.compile(r"^[\w.@-]{1,64}$")
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


class AuthError(UserError):
    """A users file or a login setting that cannot be used; the message is one Vietnamese sentence."""


def hash_password(password: str, salt: bytes | None = None) -> dict[str, object]:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return {"scheme": "scrypt", "n": _N, "r": _R, "p": _P, "salt": salt.hex(), "hash": digest.hex()}


def verify_password(password: str, record: dict[str, object]) -> bool:
    try:
        salt = bytes.fromhex(str(record["salt"]))
        n, r, p = int(str(record["n"])), int(str(record["r"])), int(str(record["p"]))
        expected = bytes.fromhex(str(record["hash"]))
    except (KeyError, ValueError):
        return False
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(expected))
    return hmac.compare_digest(digest, expected)


def load_users(path: Path) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        users = data["users"]
        if not isinstance(users, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"tệp người dùng {path.name} không hợp lệ") from exc
    return users


def add_user(path: Path, name: str, password: str) -> bool:
    """Add or replace a user (True when the name was new); the file is written readable by its owner only."""
    if not _NAME.match(name):
        raise AuthError("tên người dùng chỉ gồm chữ, số và . _ @ - (tối đa 64 ký tự)")
    if len(password) < 8:
        raise AuthError("mật khẩu cần ít nhất 8 ký tự")
    users = load_users(path)
    new = name not in users
    users[name] = hash_password(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump({"users": users}, f, ensure_ascii=False, indent=2)
    temporary.replace(path)
    return new


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def login_required(host: str, mode: str) -> bool:
    """auto: a login is needed exactly when other machines can reach the app."""
    if mode == "on":
        return True
    if mode == "off":
        return False
    return not is_loopback(host)


def checker(path: Path) -> Callable[[str, str], bool]:
    """The login check Gradio calls; the file is re-read so that added users need no restart."""
    if not load_users(path):
        raise AuthError(
            "cần đăng nhập nhưng chưa có người dùng nào; hãy tạo bằng lệnh: vankien users add TÊN "
            "(hoặc đặt VANKIEN_AUTH=off nếu thật sự muốn mở không cần đăng nhập)"
        )

    def check(name: str, password: str) -> bool:
        record = load_users(path).get(name)
        return record is not None and verify_password(password, record)

    return check
