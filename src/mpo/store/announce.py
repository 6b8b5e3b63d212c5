"""PostgreSQL: waking the event stream's listeners after a commit that wrote events.

The NOTIFY used to be queued by the events' trigger (migrations 0010, 0011). PostgreSQL
sends a transaction's notifications from its COMMIT while holding one cluster-wide lock
until the commit record is on disk, so every writer's commit waited for the previous one's
fsync: no group commit, a seventh of the throughput (migration 0024). Here the unit of work
marks a commit that wrote events, and once the commit has landed (SQLAlchemy's
`after_commit`, the connection still in hand) one NOTIFY goes out in a transaction of its
own that does not wait for the disk: the lock is held for microseconds. Same channel, same
empty payload: listeners (store/wake.py) see no difference.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

#: `Session.info` key: the driver connection to notify on once the session has committed.
ANNOUNCE = "mpo_announce"
#: One statement, so one round trip; `synchronous_commit` off for this transaction only: a
#: notification is never durable anyway, and waiting for the disk is what held the lock.
NOTIFY = "SELECT pg_notify(%s, ''), set_config('synchronous_commit', 'off', true)"


def mark(session: Session) -> None:
    """Announce this session's commit to the listeners once it has landed."""
    session.info[ANNOUNCE] = session.connection()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    connection = session.info.pop(ANNOUNCE, None)
    if connection is not None:
        announce(connection)


def announce(connection: Connection) -> None:
    """One NOTIFY on `connection`, between transactions. A failure is not the commit's: it
    stands, and wakers find its events at their next look (store/wake.py); the connection
    is not given back to the pool."""
    import psycopg

    from mpo.store.stream import CHANNEL

    driver: Any = connection.connection.driver_connection
    try:
        driver.autocommit = True
        try:
            driver.execute(NOTIFY.replace("%s", f"'{CHANNEL}'"))
        finally:
            driver.autocommit = False
    except psycopg.Error:
        connection.invalidate()
