"""Engine creation from a database URL, with SQLite tuned for many concurrent short writers.

PostgreSQL needs nothing special. SQLite gets, on every new connection: WAL (readers never
block the writer), a busy timeout (a writer waits for the lock instead of failing at once)
and enforced foreign keys. Python 3.11's sqlite3 driver would start transactions lazily and
never around DDL, so we switch its own handling off and emit BEGIN ourselves: that makes
migrations transactional, and lets writers ask for BEGIN IMMEDIATE (see `writer`).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

BUSY_TIMEOUT_MS = 5000
_IMMEDIATE = "generec_begin_immediate"   # our own execution option, read by the begin hook


def make_engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        # pre_ping: a long-lived app outlives server restarts and idle-connection timeouts
        return create_engine(u, pool_pre_ping=True)
    memory = u.database in (None, "", ":memory:")
    if memory:
        # One shared connection, or each pooled connection would see its own empty database.
        # Fine for single-threaded tests; concurrent writers need a file.
        engine = create_engine(u, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not u.database.startswith("file:"):
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None    # the driver stops issuing BEGIN on its own
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # A deferred transaction that reads and then writes can fail with SQLITE_BUSY at its
        # first write without waiting (WAL snapshot conflict); IMMEDIATE takes the write lock
        # up front, where busy_timeout applies.
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine (same pool), whose transactions are meant to write.

    On SQLite they start with BEGIN IMMEDIATE; elsewhere the option is ignored.
    """
    return engine.execution_options(**{_IMMEDIATE: True})
