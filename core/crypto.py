"""Encryption at rest and lookup hashes for personal data (ID numbers).

Keys come from ZHENGQI_FIELD_KEYS (Fernet keys, newest first). Development
derives one from SECRET_KEY so the embedded default needs no set-up;
production refuses to start without real keys (see settings).

The lookup hash is an HMAC keyed from the *oldest* field key, so adding a new
key in front (rotation) keeps every stored hash valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


@lru_cache(maxsize=4)
def _keys(raw_keys: tuple[str, ...], secret_key: str) -> tuple[MultiFernet, bytes]:
    if raw_keys:
        try:
            fernets = [Fernet(key.encode()) for key in raw_keys]
        except ValueError:
            raise ImproperlyConfigured("ZHENGQI_FIELD_KEYS holds a value that is not a Fernet key") from None
        oldest = base64.urlsafe_b64decode(raw_keys[-1].encode())
    else:
        oldest = _derive(secret_key.encode(), b"zhengqi field key (development)")
        fernets = [Fernet(base64.urlsafe_b64encode(oldest))]
    return MultiFernet(fernets), _derive(oldest, b"zhengqi lookup hash")


def _current() -> tuple[MultiFernet, bytes]:
    return _keys(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _current()[0].encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current()[0].decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("stored personal data cannot be decrypted with ZHENGQI_FIELD_KEYS") from None


def lookup_hash(normalised: str) -> str:
    return hmac.new(_current()[1], normalised.encode(), hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    # Bearer tokens carry 256 random bits, so a plain hash is enough to store them.
    return hashlib.sha256(token.encode()).hexdigest()


def password_fingerprint(password_hash: str) -> str:
    """What binds an API token to the password it was issued under (see ApiToken.password_fingerprint).

    The stored password hash is already salted and sits in the same row set, so a plain hash of it reveals
    nothing new; unlike Django's session hash it does not depend on SECRET_KEY, so rotating the key
    leaves the tokens alone.
    """
    return hashlib.sha256(password_hash.encode()).hexdigest()
