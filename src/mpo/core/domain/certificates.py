"""Client certificates a token is bound to (proof of possession, as RFC 8705 binds OAuth
tokens): what a fingerprint is, how a certificate's is computed, and when a token that
arrived over a channel is refused for the certificate it came (or did not come) with.

A fingerprint is the SHA-256 of the certificate's DER encoding, 64 lowercase hex digits;
`openssl x509 -noout -fingerprint -sha256` prints the same digits in upper case with colons,
and both spellings are accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from mpo.core.domain.errors import ValidationError

_HEX = re.compile(r"[0-9a-f]{64}")
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)
#: What `fingerprint` accepts, for the messages that refuse something else.
SPELLING = "64 hex digits (SHA-256), colons allowed, as `openssl x509 -fingerprint -sha256`"


def fingerprint(field: str, value: str) -> str:
    """`value` as a stored fingerprint (lowercase hex, no colons), or a `ValidationError`."""
    text = value.strip()
    text = text.split("=", 1)[1] if "=" in text else text  # "sha256 Fingerprint=AB:CD:..."
    digits = text.replace(":", "").lower()
    if not _HEX.fullmatch(digits):
        raise ValidationError(field, f"{value!r} is not a certificate fingerprint; give "
                                     f"{SPELLING}")
    return digits


def of_der(der: bytes) -> str:
    """The fingerprint of a certificate in DER form."""
    return hashlib.sha256(der).hexdigest()


def of_pem(field: str, pem: str) -> str:
    """The fingerprint of the first certificate in PEM text (a chain's leaf comes first)."""
    found = _PEM.search(pem)
    if found is None:
        raise ValidationError(field, "no PEM certificate (-----BEGIN CERTIFICATE-----) in it")
    try:
        der = base64.b64decode("".join(found.group(1).split()), validate=True)
    except binascii.Error:
        raise ValidationError(field, "the PEM certificate is not valid base64") from None
    return of_der(der)


@dataclass(frozen=True)
class Channel:
    """How a token reached the server: the fingerprint of the client certificate the TLS
    connection presented (None: no certificate, or no TLS), and whether the server requires
    every token to be bound to the certificate it comes with (`--client-certs required`).
    The command line, which has no channel, authenticates with none."""

    presented: str | None = None
    binding_required: bool = False


def refusal(name: str, bound: str | None, channel: Channel | None) -> str | None:
    """Why `name`'s token (bound to the certificate `bound`, or to none) is refused over
    `channel`, or None when it is accepted."""
    if bound is None:
        if channel is not None and channel.binding_required:
            return (f"{name} has no client certificate bound and this server requires one: "
                    f"mpo principal bind-cert {name} CERT.pem")
        return None
    if channel is None:
        return (f"the token of {name} is bound to a client certificate: use it over HTTPS "
                "with that certificate (mpo serve --ssl-ca-certs), not on the command line")
    if channel.presented is None:
        return (f"the token of {name} is bound to a client certificate and the connection "
                "presented none")
    if channel.presented != bound:
        return (f"the token of {name} is bound to another client certificate than the one "
                "the connection presented")
    return None
