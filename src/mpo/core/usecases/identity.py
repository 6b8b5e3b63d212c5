"""Identity use cases: who is acting (authentication), the principals admins manage, and
the record of refused requests.

A token is returned exactly once, by the use case that mints it; only its SHA-256 is stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

from mpo.core.domain import certificates, permissions, tokens, validation
from mpo.core.domain.certificates import Channel
from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import (
    AuthError,
    BatchRejected,
    Conflict,
    ExitCode,
    MpoError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)
from mpo.core.domain.permissions import Actor, Role, Verb
from mpo.core.domain.refusal_gate import RefusalGate
from mpo.core.domain.validation import Rules
from mpo.core.ports import Database, PrincipalRepository
from mpo.core.tables.models import Principal

INVALID_TOKEN = "the token is not valid (unknown or revoked)"
#: The reason of coalesced refusals: missing, unknown or revoked tokens from one address.
ANONYMOUS = "no valid credentials (missing, unknown or revoked token)"


def _record(db: Database, who: str | None, verb: str, reason: str) -> None:
    """Keep a refused request on record; never let recording hide the refusal itself."""
    try:
        with db.write() as uow:
            uow.principals.record_denial(who, verb, reason)
            uow.commit()
    except MpoError:
        pass


@contextmanager
def refusals_recorded(db: Database, actor: Actor, verb: str) -> Iterator[None]:
    """Record a use case's permission refusals (whole or per item) before they propagate."""
    try:
        yield
    except PermissionDenied as exc:
        _record(db, actor.name, verb, exc.message)
        raise
    except BatchRejected as exc:
        refused = [f"{p.item}: {p.reason}" for p in exc.problems if p.exit_code is ExitCode.AUTH]
        if refused:
            _record(db, actor.name, verb, "; ".join(refused))
        raise


def authenticate(db: Database, token: str, *, expect_role: str | None = None,
                 gate: RefusalGate | None = None, client: str | None = None,
                 channel: Channel | None = None) -> Actor:
    """The principal a token belongs to; a wrong or revoked token is refused and recorded,
    and so is a token of another role than `expect_role` (when given), and a token bound to
    a client certificate that `channel` (the HTTP connection; None: the command line) did
    not present (`core.domain.certificates.refusal`). With a server's `gate`, refusals are
    counted per `client` address (see `refuse_anonymous`)."""
    with db.read() as uow:
        principal = uow.principals.authenticate(token)
        markets = None if principal is None else uow.principals.markets(principal)
    if principal is None:
        if gate is not None:
            refuse_anonymous(db, gate, client, INVALID_TOKEN)
        _record(db, None, "authenticate", INVALID_TOKEN)
        raise AuthError(INVALID_TOKEN)
    why = certificates.refusal(principal.name, principal.cert_fingerprint, channel)
    if why is not None:
        _record(db, principal.name, "authenticate", why)
        raise AuthError(why)
    actor = actor_of(principal, markets)
    if expect_role is not None and expect_role != actor.role:
        raise ValidationError("role", f"the token belongs to {actor.name}, whose role is "
                                      f"{actor.role}, not {expect_role}")
    return actor


def refuse_anonymous(db: Database, gate: RefusalGate, client: str | None,
                     reason: str) -> NoReturn:
    """Refuse a request without a valid credential: counted per client address, recorded
    coalesced (one row per address and window, with its count), and past the gate's limit
    answered "rate limited" (429) rather than "unauthenticated" (401)."""
    decision = gate.refused(client, time.monotonic())
    record_refusals(db, decision.record)
    if decision.limited:
        raise RateLimited(f"too many refused requests from {client}; retry after "
                          f"{decision.retry_after} s", retry_after=decision.retry_after)
    raise AuthError(reason)


def record_refusals(db: Database, counts: list[tuple[str, int]]) -> None:
    """Record refusals without a valid credential, `count` per client address."""
    if not counts:
        return
    try:
        with db.write() as uow:
            for client, count in counts:
                uow.principals.record_denial(None, "authenticate", ANONYMOUS, client=client,
                                             count=count)
            uow.commit()
    except MpoError:
        pass


def actor_of(principal: Principal, markets: tuple[str, ...] | None = None) -> Actor:
    """The acting identity a principal row stands for (`markets`: its team's)."""
    return Actor(principal.name, Role(principal.role), principal.marketplace,
                 principal.team, markets)


def bootstrap_admin(db: Database, name: str) -> str | None:
    """Create the first admin and return its token; None if principals already exist."""
    token = tokens.mint(None)
    admin = Principal(name=validation.name("admin", name), role=Role.ADMIN.value,
                      token_hash=tokens.digest(token), created_at=utcnow(), created_by=None)
    with db.write() as uow:
        created = uow.principals.bootstrap(admin)
        uow.commit()
    return token if created else None


@dataclass(frozen=True)
class Minted:
    """A principal and its new token (shown to the user once, then forgotten)."""

    principal: Principal
    token: str


def add_principal(
    db: Database, actor: Actor, name: str, role: str, marketplace: str | None, rules: Rules,
    cert_fingerprint: str | None = None, team: str | None = None,
) -> Minted:
    """Register a principal; agents are bound to one marketplace, nobody else is. With a
    certificate fingerprint, its token is accepted only with that client certificate; with
    a team, it belongs to that team (else to the default one)."""
    from mpo.core.usecases import team_lookup as teams
    with refusals_recorded(db, actor, "principal add"):
        permissions.require(actor, Verb.MANAGE)
        checked_role = Role(validation.one_of("role", role, [r.value for r in Role]))
        if checked_role is Role.AGENT:
            if marketplace is None:
                raise ValidationError(
                    "marketplace", f"an agent needs one; one of {', '.join(rules.marketplaces)}"
                )
            marketplace = validation.one_of("marketplace", marketplace, rules.marketplaces)
        elif marketplace is not None:
            raise ValidationError("marketplace", "only agents are bound to a marketplace")
        bound = (None if cert_fingerprint is None
                 else certificates.fingerprint("cert-fingerprint", cert_fingerprint))
        token = tokens.mint(marketplace)
        principal = Principal(name=validation.name("name", name), role=checked_role.value,
                              marketplace=marketplace, token_hash=tokens.digest(token),
                              created_at=utcnow(), created_by=actor.name,
                              cert_fingerprint=bound)
        with db.write() as uow:
            if uow.principals.by_name(principal.name) is not None:
                raise Conflict(f"a principal named {principal.name} already exists")
            _certificate_free(uow.principals, principal.name, bound)
            if team is not None:
                principal.team, markets = teams.resolve(uow, team)
                teams.check_member(principal, principal.team, markets)
            uow.principals.add(principal)
            uow.commit()
        return Minted(principal, token)


def list_principals(db: Database, actor: Actor) -> list[Principal]:
    """Every principal (admins), without token digests leaving the core."""
    with refusals_recorded(db, actor, "principal list"):
        permissions.require(actor, Verb.MANAGE)
        with db.read() as uow:
            return uow.principals.all()


def revoke_principal(db: Database, actor: Actor, name: str) -> Principal:
    """Revoke a principal's token for good; the last active admin cannot be revoked."""
    with refusals_recorded(db, actor, "principal revoke"):
        permissions.require(actor, Verb.MANAGE)
        with db.write() as uow:
            target = uow.principals.by_name(name)
            if target is None:
                raise NotFound(f"no principal named {name}")
            if target.revoked_at is not None:
                raise Conflict(f"{name} is already revoked")
            if target.role == Role.ADMIN.value and uow.principals.count_active_admins() <= 1:
                raise Conflict(f"{name} is the last active admin; add another admin first")
            target.revoked_at = utcnow()
            uow.commit()
        return target


def rotate_token(db: Database, actor: Actor, name: str) -> Minted:
    """Replace a principal's token (admins: anyone's; everyone: their own)."""
    with refusals_recorded(db, actor, "principal rotate"):
        if name != actor.name:
            permissions.require(actor, Verb.MANAGE)
        with db.write() as uow:
            target = uow.principals.by_name(name)
            if target is None or target.revoked_at is not None:
                raise NotFound(f"no active principal named {name}")
            token = tokens.mint(target.marketplace)
            target.token_hash, target.token_rotated_at = tokens.digest(token), utcnow()
            uow.commit()
        return Minted(target, token)


def bind_certificate(db: Database, actor: Actor, name: str, certificate: str | None) -> Principal:
    """Bind a principal's token to the client certificate in `certificate` (PEM text), or
    unbind it (None): from then on its token is accepted only over HTTPS connections that
    present that certificate (admins only)."""
    with refusals_recorded(db, actor, "principal bind-cert"):
        permissions.require(actor, Verb.MANAGE)
        bound = None if certificate is None else certificates.of_pem("cert", certificate)
        with db.write() as uow:
            target = uow.principals.by_name(name)
            if target is None or target.revoked_at is not None:
                raise NotFound(f"no active principal named {name}")
            _certificate_free(uow.principals, name, bound)
            target.cert_fingerprint = bound
            uow.commit()
        return target


def _certificate_free(principals: PrincipalRepository, name: str,
                      fingerprint: str | None) -> None:
    """Refuse a certificate already bound to another principal: one certificate, one
    principal (revoked ones included: issue the new principal its own certificate)."""
    if fingerprint is None:
        return
    for other in principals.all():
        if other.cert_fingerprint == fingerprint and other.name != name:
            raise Conflict(f"that certificate is already bound to {other.name}; "
                           "each principal needs its own")
