"""Join codes and invite tokens: made here, shown once, stored only as an HMAC.

A join code is 8 characters of Crockford base32 without I, L, O and U (nothing a pupil can
misread off a projected screen), displayed `XXXX-XXXX`, accepted in any case with or
without the dash and spaces. 32^8 = 2^40 codes; guessing is bounded by expiry, use limits
and the registration throttle. Invite tokens are 256 random bits in a link.
"""

from __future__ import annotations

import re
import secrets

from videogen.hmac_keys import derived_hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_CODE_LABEL = b"videogen/join-code/v1"
_INVITE_LABEL = b"videogen/teacher-invite/v1"
_SEPARATORS = re.compile(r"[\s-]+")
_CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")


def new_code() -> str:
    """A fresh code, normalised (no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The code as stored (upper case, no dash or spaces); None when it cannot be one."""
    code = _SEPARATORS.sub("", text).upper()
    return code if _CODE.fullmatch(code) else None


def display_code(code: str) -> str:
    """`XXXX-XXXX`: easier to read aloud and to copy off a board."""
    return f"{code[:4]}-{code[4:]}"


def code_hash(code: str, secret: str) -> str:
    return derived_hmac(secret, _CODE_LABEL, code)


def new_invite_token() -> str:
    return secrets.token_urlsafe(32)


def invite_hash(token: str, secret: str) -> str:
    return derived_hmac(secret, _INVITE_LABEL, token.strip())
