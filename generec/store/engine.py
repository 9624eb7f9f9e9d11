"""Engine creation from a database URL, with SQLite tuned for many concurrent short writers.

PostgreSQL needs nothing special. SQLite gets, on every new connection: WAL (readers never
block the writer), a busy timeout (a writer waits for the lock instead of failing at once)
and enforced foreign keys. Python 3.11's sqlite3 driver would start transactions lazily and
never around DDL, so we switch its own handling off and emit BEGIN ourselves: that makes
migrations transactional, and lets writers ask for BEGIN IMMEDIATE (see `writer`).

A SQLite file is opened by the store alone, and no other code in the process may open it, not
even to read or copy it (`Store.backup_to` makes copies): closing any descriptor of the file drops
every lock the process holds on it, after which another process may delete the write-ahead log
the store is still writing to. guard.py holds the file against that and checks it before every
write transaction, refusing the write (StoreError) if the file or its WAL changed under us.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from .guard import FileGuard

BUSY_TIMEOUT_MS = 5000
_IMMEDIATE = "generec_begin_immediate"   # our own execution option, read by the begin hook


def make_engine(url: str) -> Engine:
    """The engine for `url`; a SQLite file's engine carries its FileGuard as `engine.guard`."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        # pre_ping: a long-lived app outlives server restarts and idle-connection timeouts
        return create_engine(u, pool_pre_ping=True)
    memory = u.database in (None, "", ":memory:")
    guard = None
    if memory:
        # One shared connection, or each pooled connection would see its own empty database.
        # Fine for single-threaded tests; concurrent writers need a file.
        engine = create_engine(u, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not u.database.startswith("file:"):
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            guard = FileGuard(Path(u.database).expanduser())
        engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    engine.guard = guard

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None    # the driver stops issuing BEGIN on its own
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        mode = None if memory else cur.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        if guard is not None and mode == "wal":
            guard.opened(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # A deferred transaction that reads and then writes can fail with SQLITE_BUSY at its
        # first write without waiting (WAL snapshot conflict); IMMEDIATE takes the write lock
        # up front, where busy_timeout applies.
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        if immediate and guard is not None:
            guard.check()     # before any write: the files must still be the ones we opened
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def dispose(engine: Engine) -> None:
    """Close the engine's connections, and let go of its SQLite file (see guard.py)."""
    guard = getattr(engine, "guard", None)
    if guard is None:
        engine.dispose()
    else:
        guard.close(engine.dispose)


def writer(engine: Engine) -> Engine:
    """The same engine (same pool), whose transactions are meant to write.

    On SQLite they start with BEGIN IMMEDIATE; elsewhere the option is ignored.
    """
    return engine.execution_options(**{_IMMEDIATE: True})
