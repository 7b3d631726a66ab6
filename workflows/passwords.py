"""Password hashing with argon2id and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workflows.errors import InvalidInput
from workflows.i18n import _l

MIN_LENGTH = 10
MAX_LENGTH = 128
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps timing the same for both cases.
_DUMMY_HASH = _hasher.hash("remtrack-dummy-password")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            _l("The password must have at least %(n)d characters.", n=MIN_LENGTH), field="password"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            _l("The password must have at most %(n)d characters.", n=MAX_LENGTH), field="password"
        )
    if password.isdigit() or password.isalpha():
        raise InvalidInput(
            _l("The password must mix letters with digits or symbols."), field="password"
        )
