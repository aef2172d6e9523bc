"""The rotating 6-digit check-in code: HMAC-SHA256 of a per-session secret and a 30-second window.

Like TOTP (RFC 6238) with dynamic truncation, so the host's screen and the
server agree without storing codes. The current and the previous window are
accepted, so a code read just before it rotates still works.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import unicodedata
from datetime import UTC, datetime

WINDOW_S = 30
# Codes this many windows old are recognised as expired (a clearer error than "wrong").
_EXPIRED_LOOKBACK = 20


class Verdict(enum.Enum):
    OK = "ok"
    EXPIRED = "expired"
    WRONG = "wrong"


def window_of(at: datetime) -> int:
    return int(at.timestamp()) // WINDOW_S


def code_for(secret: str, window: int) -> str:
    digest = hmac.new(bytes.fromhex(secret), window.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def current(secret: str, at: datetime) -> tuple[str, datetime]:
    """The code shown now, and when it rotates."""
    window = window_of(at)
    return code_for(secret, window), datetime.fromtimestamp((window + 1) * WINDOW_S, tz=UTC)


def _as_typed(code: str) -> bytes | None:
    """The six ASCII digits the person meant, or None.

    A Chinese input method in full-width mode types "１２３４５６": NFKC makes that
    "123456", as the person read it off the host's screen. Anything else that is not
    six ASCII digits after that (other scripts' digits, letters) is simply wrong.
    """
    typed = unicodedata.normalize("NFKC", code).strip()
    if len(typed) != 6 or not typed.isascii() or not typed.isdigit():
        return None
    return typed.encode("ascii")


def verify(secret: str, code: str, at: datetime) -> Verdict:
    typed = _as_typed(code)
    if typed is None:
        return Verdict.WRONG
    window = window_of(at)
    for back in range(_EXPIRED_LOOKBACK + 1):
        # Bytes on both sides: compare_digest refuses str with non-ASCII characters (TypeError).
        if hmac.compare_digest(code_for(secret, window - back).encode("ascii"), typed):
            return Verdict.OK if back <= 1 else Verdict.EXPIRED
    return Verdict.WRONG


def qr_data_url(text: str) -> str:
    """The text as a QR code, an SVG `data:` URL the host's screen can show as an <img>."""
    import segno  # imported here: only the host's screen needs it

    return str(segno.make(text, error="m").svg_data_uri(scale=8, border=2))


def qr_text(session_id: int, code: str) -> str:
    """What the QR code says: the phone app reads the session and code from it."""
    return f"zhengqi:checkin?session={session_id}&code={code}"
