"""Principals in the database. On PostgreSQL, token checks go through SECURITY DEFINER
functions (migration 0003) that also bind the transaction's row-level-security context;
on SQLite, which has no RLS, the table is read directly.
"""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, select, text
from sqlmodel import Session, col

from mpo.core.domain import teams
from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import PROPOSERS, Role
from mpo.core.domain.tokens import SESSION_PREFIX, digest, matches
from mpo.core.tables.models import Principal, WebSession
from mpo.core.tables.teams import Team
from mpo.core.tables.timestamps import UTCDateTime

# No RETURNING: only admins may read access_denial, so PostgreSQL refuses to return the
# new row to anyone else, and the refusal would go unrecorded (issue 10).
_DENIAL = text(
    "INSERT INTO access_denial (at, principal, verb, reason, client, count)"
    " VALUES (:at, :who, :verb, :why, :client, :count)"
).bindparams(bindparam("at", type_=UTCDateTime()))


#: SQLite's token check: the columns an `Actor` is made of, without the ORM's statement
#: compilation and row loading (a quarter of a server's CPU per request on SQLite, py-spy).
_BY_DIGEST = text(
    "SELECT id, name, role, marketplace, cert_fingerprint, team, token_hash FROM principal"
    " WHERE token_hash = :hash AND revoked_at IS NULL"
)


class SqlPrincipalRepository:
    """The store's implementation of `mpo.core.ports.PrincipalRepository`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        # On PostgreSQL the unit of work authenticates its token when it begins; the use
        # case asking again in the same transaction gets that answer, not a second call.
        self._known: dict[str, Principal | None] = {}
        #: Team name -> its marketplaces, as authentication found them (PostgreSQL).
        self._markets: dict[str, tuple[str, ...] | None] = {}

    def authenticate(self, token: str) -> Principal | None:
        if token not in self._known:
            self._known[token] = self._authenticate(token)
        return self._known[token]

    def _authenticate(self, token: str) -> Principal | None:
        if self.postgres:
            row = self.session.execute(
                text("SELECT id, name, role, marketplace, cert_fingerprint, team,"
                     " team_marketplaces FROM mpo_authenticate(:token)"),
                {"token": token},
            ).first()
            if row is None:
                return None
            if row.team is not None:
                self._markets[row.team] = teams.loaded(row.team_marketplaces)
            return Principal(id=row.id, name=row.name, role=row.role,
                             marketplace=row.marketplace, token_hash="",
                             cert_fingerprint=row.cert_fingerprint, team=row.team)
        if token.startswith(SESSION_PREFIX):
            return self.session.scalars(select(Principal).join(
                WebSession, col(WebSession.principal_id) == col(Principal.id)).where(
                col(WebSession.id_hash) == digest(token), col(WebSession.kind) == "session",
                col(WebSession.expires_at) > utcnow(),
                col(Principal.revoked_at).is_(None))).first()
        found = self.session.execute(_BY_DIGEST, {"hash": digest(token)}).first()
        if found is None or not matches(token, found.token_hash):
            return None
        return Principal(id=uuid.UUID(found.id), name=found.name, role=found.role,
                         marketplace=found.marketplace, token_hash=found.token_hash,
                         cert_fingerprint=found.cert_fingerprint, team=found.team)

    def markets(self, principal: Principal) -> tuple[str, ...] | None:
        """The marketplaces `principal`'s team covers; None: every one (the default
        team). No statement for the default team, nor after authentication on PostgreSQL."""
        if principal.team is None:
            return None
        if principal.team not in self._markets:
            team = self.session.get(Team, principal.team)
            self._markets[principal.team] = None if team is None else teams.loaded(
                team.marketplaces)
        return self._markets[principal.team]

    def bootstrap(self, principal: Principal) -> bool:
        if self.postgres:
            created = self.session.execute(
                text("SELECT mpo_bootstrap_admin(:id, :name, :hash)"),
                {"id": principal.id, "name": principal.name, "hash": principal.token_hash},
            ).scalar()
            return bool(created)
        if self.session.scalars(select(col(Principal.id)).limit(1)).first() is not None:
            return False
        self.session.add(principal)
        return True

    def add(self, principal: Principal) -> None:
        self.session.add(principal)

    def by_name(self, name: str) -> Principal | None:
        return self.session.scalars(
            select(Principal).where(col(Principal.name) == name)
        ).first()

    def all(self) -> list[Principal]:
        return list(self.session.scalars(select(Principal).order_by(col(Principal.name))))

    def count_active_admins(self) -> int:
        stmt = select(func.count()).select_from(Principal).where(
            col(Principal.role) == Role.ADMIN.value, col(Principal.revoked_at).is_(None)
        )
        return int(self.session.execute(stmt).scalar_one())

    def proposers(self) -> list[str]:
        if self.postgres:
            # Only admins read other principals' rows: a definer function lists the names.
            return list(self.session.execute(text("SELECT mpo_proposers()")).scalars())
        stmt = select(col(Principal.name)).where(
            col(Principal.role).in_([r.value for r in PROPOSERS]),
            col(Principal.revoked_at).is_(None),
        ).order_by(col(Principal.name))
        return list(self.session.scalars(stmt))

    def record_denial(self, principal: str | None, verb: str, reason: str, *,
                      client: str | None = None, count: int = 1) -> None:
        self.session.execute(_DENIAL, {"at": utcnow(), "who": principal, "verb": verb,
                                       "why": reason, "client": client, "count": count})

