"""API keys and passwords."""

from __future__ import annotations

from sauti.kit.secrets import check_password, digest, hash_password, new_api_key


def test_api_keys_are_40_hex_and_stored_as_digests() -> None:
    keys = {new_api_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) == 40 and int(k, 16) >= 0 for k in keys)
    key = keys.pop()
    assert digest(key) == digest(key) and digest(key) != key and len(digest(key)) == 64


def test_passwords_hash_and_verify() -> None:
    hashed = hash_password("correct horse")
    assert hashed != "correct horse" and hashed.startswith("$argon2")
    assert check_password(hashed, "correct horse")
    assert not check_password(hashed, "wrong horse")
    assert not check_password("not a hash", "correct horse")
