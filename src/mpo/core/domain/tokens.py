"""Bearer tokens: minted from `secrets` (256 bits), stored only as a SHA-256 digest.

Agents' tokens keep the seed's shape, `marketplace-{marketplace}-{secret}`; people's are
`mpo_{secret}`. The secret is random, so a plain SHA-256 is enough (no slow KDF needed) and
looking it up by digest leaks nothing useful; comparisons still use `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32  # 256 bits
#: A browser session's secret starts with this (never a token's: those are `mpo_...` or
#: `marketplace-...`), so the database knows which table to look it up in.
SESSION_PREFIX = "mpows-"


def mint(marketplace: str | None) -> str:
    """A new token: an agent's when bound to a marketplace, a person's otherwise."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return f"marketplace-{marketplace}-{secret}" if marketplace else f"mpo_{secret}"


def mint_session() -> str:
    """A new browser session secret (or one-time sign-in link code)."""
    return SESSION_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def digest(token: str) -> str:
    """The hex SHA-256 the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(token: str, stored_digest: str) -> bool:
    """Whether `token` hashes to `stored_digest`, compared in constant time."""
    return hmac.compare_digest(digest(token), stored_digest)
