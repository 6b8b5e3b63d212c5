"""Browser sessions in the database (migration 0017). On PostgreSQL every step goes through
a SECURITY DEFINER function (the app role has no privilege on `web_session`); on SQLite,
which has no roles, the table is used directly with the same rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select, text
from sqlmodel import Session, col

from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Role
from mpo.core.tables.models import Principal, WebSession
from mpo.core.tables.timestamps import UTCDateTime

_EXPIRES = bindparam("expires", type_=UTCDateTime())
_ISSUE = text("SELECT mpo_web_issue(:name, :kind, :hash, :expires)").bindparams(_EXPIRES)
_REDEEM = text("SELECT mpo_web_redeem(:code, :hash, :expires)").bindparams(_EXPIRES)
_CLOSE = text("SELECT mpo_web_close(:hash)")


class SqlWebSessions:
    """The store's `mpo.core.ports.web.WebSessionStore`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def issue(self, principal: str, kind: str, secret_hash: str, expires: datetime) -> bool:
        if self.postgres:
            return bool(self.session.execute(_ISSUE, {
                "name": principal, "kind": kind, "hash": secret_hash, "expires": expires,
            }).scalar())
        found = self._person(principal)
        if found is None:
            return False
        self._purge()
        self.session.add(WebSession(id_hash=secret_hash, principal_id=found.id, kind=kind,
                                    expires_at=expires))
        return True

    def redeem(self, code_hash: str, secret_hash: str, expires: datetime) -> str | None:
        if self.postgres:
            name = self.session.execute(_REDEEM, {
                "code": code_hash, "hash": secret_hash, "expires": expires}).scalar()
            return None if name is None else str(name)
        row = self.session.execute(
            select(WebSession, Principal)
            .join(Principal, col(Principal.id) == col(WebSession.principal_id))
            .where(col(WebSession.id_hash) == code_hash, col(WebSession.kind) == "link",
                   col(WebSession.expires_at) > utcnow(), col(Principal.revoked_at).is_(None))
        ).first()
        if row is None:
            return None
        link, principal = row
        self.session.delete(link)
        self.session.add(WebSession(id_hash=secret_hash, principal_id=principal.id,
                                    kind="session", expires_at=expires))
        return str(principal.name)

    def close(self, secret_hash: str) -> None:
        if self.postgres:
            self.session.execute(_CLOSE, {"hash": secret_hash})
            return
        self.session.execute(delete(WebSession).where(
            col(WebSession.id_hash) == secret_hash, col(WebSession.kind) == "session"))

    def _person(self, name: str) -> Principal | None:
        return self.session.scalars(select(Principal).where(
            col(Principal.name) == name, col(Principal.revoked_at).is_(None),
            col(Principal.role) != Role.AGENT.value)).first()

    def _purge(self) -> None:
        self.session.execute(delete(WebSession).where(col(WebSession.expires_at) <= utcnow()))
