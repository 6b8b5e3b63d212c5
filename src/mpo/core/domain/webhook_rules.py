"""Where a webhook may send and how often it retries: rules as data, checked by the core.

A URL is checked when the webhook is added: `http` or `https`, a host, a valid port, no
credentials (they would sit in the database and in every listing), nothing a request line
cannot carry (spaces, control characters). Link-local addresses and the cloud metadata
endpoints (169.254.169.254 and its kin) are refused unless the admin says so
(`allow_link_local`): a webhook is a request the server makes on an admin's behalf, and
those addresses answer with the machine's own credentials. Addresses are recognised in
every spelling the C resolver accepts (`2852039166`, `0xa9.0xfe.0xa9.0xfe`, IPv4-mapped
IPv6); a host *name* that resolves to such an address later is not caught here.

The retry plan is Standard Webhooks': after a failure, again after 5 s, 5 min, 30 min,
2 h, 5 h, 10 h and 10 h (about 28 hours in all), each delay moved by up to a tenth either
way so that many webhooks failing together do not retry together; then the dead letter.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from mpo.core.domain.errors import ValidationError

#: Seconds before each retry; after the last one fails, the delivery is dead-lettered.
RETRY_PLAN: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
#: How far (as a share of the delay, either way) jitter moves a retry.
JITTER = 0.1
#: Names of the cloud metadata services, refused like their addresses.
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog",
                            "instance-data", "instance-data.ec2.internal"})
#: Metadata addresses outside the link-local ranges (Alibaba Cloud, AWS over IPv6).
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("100.100.100.200"),
                                ipaddress.ip_address("fd00:ec2::254")})


def retry_delay(attempts: int, jitter: float) -> float | None:
    """Seconds before the next attempt after `attempts` failures (None: dead-letter it);
    `jitter` in [0, 1) picks where in the plan's window it falls (0.5: the plan's delay)."""
    if attempts < 1 or attempts > len(RETRY_PLAN):
        return None
    return RETRY_PLAN[attempts - 1] * (1 + JITTER * (2 * jitter - 1))


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`host` as an IP address if it spells one, in any form a resolver accepts."""
    try:
        found = ipaddress.ip_address(host)
    except ValueError:
        try:
            found = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def check_url(url: str, *, allow_link_local: bool = False) -> str:
    """The URL a webhook may send to, or a `ValidationError` naming what is wrong."""
    if not url or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise ValidationError("url", f"{url!r} has spaces or control characters; "
                              "percent-encode them (%20)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("url", f"{url!r} is not an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("url", "credentials in the URL are not allowed; the receiver "
                              "checks the webhook-signature header instead")
    try:
        port = parts.port
    except ValueError:
        raise ValidationError("url", f"{url!r} has an invalid port (1-65535)") from None
    if port == 0:
        raise ValidationError("url", f"{url!r} has an invalid port (1-65535)")
    host = parts.hostname.rstrip(".")
    address = _address(host)
    internal = host in METADATA_HOSTS or (address is not None and (
        address.is_link_local or address in METADATA_ADDRESSES))
    if internal and not allow_link_local:
        raise ValidationError("url", f"{host} is a link-local or cloud metadata address; "
                              "pass --allow-link-local if you mean it")
    return url
