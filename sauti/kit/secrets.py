"""API keys and password hashing."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def new_api_key() -> str:
    """40 lower-case hex characters (160 bits), the RapidPro token shape."""
    return secrets.token_hex(20)


def digest(key: str) -> str:
    """The stored form of an API key: its SHA-256 hex digest (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
