"""Webhook signing secrets, kept in the OS keyring (never in the database or config).

Service `mpo-webhook`, user NAME. `mpo webhook add` mints one (`whsec_` + base64 of 24
random bytes, the Standard Webhooks form) or uses one already stored under a name.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from mpo.auth.credentials import _bounded, backend
from mpo.core.domain.errors import AuthError

SERVICE = "mpo-webhook"


def mint() -> str:
    """A new secret in the Standard Webhooks form."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _keyring() -> Any:
    chosen = backend()
    if not chosen.usable:
        raise AuthError(f"webhook secrets need a keyring; none is usable ({chosen.name})")
    return chosen.keyring


def store(name: str, secret: str) -> None:
    """Keep `secret` under `name`."""
    ring = _keyring()
    _bounded(lambda: ring.set_password(SERVICE, name, secret))


def read(name: str) -> str:
    """The secret stored under `name`, or an error saying how to store one."""
    ring = _keyring()
    found = _bounded(lambda: ring.get_password(SERVICE, name))
    if not isinstance(found, str) or not found:
        raise AuthError(f"secret: no webhook secret named {name!r} in the keyring "
                        f"(service {SERVICE}); store one with keyring set {SERVICE} {name}")
    return found
