"""Named, ordered schema migrations and the runner that applies the missing ones.

Each migration is a function of an open connection, registered under a name that sorts in
the order it must run ("0001_initial", "0002_...", ...). The runner gives every migration
its own transaction and writes its name into `schema_migrations` in that same transaction,
so a migration is either fully applied and recorded or not at all; running again applies
nothing. Migrations are frozen history: never edit one that has shipped, add a new one.
"""
from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import (JSON, Boolean, Column, Connection, Engine, Float, ForeignKey, Index,
                        Integer, MetaData, String, Table, Text, select, text)

from . import schema
from .engine import writer

Migration = Callable[[Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []

# Any constant works: it only has to be the same in every process that migrates this database.
_PG_LOCK_KEY = 7_246_431


def migration(name: str) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        if MIGRATIONS and name <= MIGRATIONS[-1][0]:
            raise RuntimeError(f"migration {name!r} registered out of order")
        MIGRATIONS.append((name, fn))
        return fn
    return register


@migration("0001_initial")
def _initial(conn: Connection) -> None:
    # A snapshot of the tables as first shipped, on purpose not schema.py's (which moves on).
    md = MetaData()
    Table("users", md,
          Column("name", String, primary_key=True), Column("simulated", Boolean, nullable=False),
          Column("bio", Text, nullable=False), Column("preferences", JSON, nullable=False),
          Column("created_at", Float, nullable=False))
    Table("items", md,
          Column("id", String, primary_key=True), Column("title", Text, nullable=False),
          Column("description", Text, nullable=False), Column("tags", JSON, nullable=False),
          Column("labels", JSON, nullable=False), Column("media_path", Text, nullable=False),
          Column("cover_path", Text, nullable=False), Column("duration_s", Float, nullable=False),
          Column("width", Integer, nullable=False), Column("height", Integer, nullable=False),
          Column("has_audio", Boolean, nullable=False), Column("origin", String, nullable=False),
          Column("parent_id", String), Column("licence", Text, nullable=False),
          Column("attribution", Text, nullable=False), Column("provenance", JSON, nullable=False),
          Column("visibility", String, nullable=False),
          Column("owner", String, ForeignKey("users.name")),
          Column("source", JSON, nullable=False), Column("created_at", Float, nullable=False),
          Index("ix_items_origin", "origin"), Index("ix_items_owner", "owner"))
    Table("interactions", md,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("user", String, ForeignKey("users.name"), nullable=False),
          Column("item_id", String, nullable=False), Column("kind", String, nullable=False),
          Column("value", Float), Column("at", Float, nullable=False), Column("session", String),
          Index("ix_interactions_user_at", "user", "at"))
    Table("messages", md,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("user", String, ForeignKey("users.name"), nullable=False),
          Column("session", String, nullable=False), Column("role", String, nullable=False),
          Column("content", Text, nullable=False), Column("meta", JSON, nullable=False),
          Column("at", Float, nullable=False),
          Index("ix_messages_user_session", "user", "session", "id"))
    Table("jobs", md,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("user", String, ForeignKey("users.name"), nullable=False),
          Column("kind", String, nullable=False), Column("params", JSON, nullable=False),
          Column("status", String, nullable=False), Column("progress", Float),
          Column("result", JSON), Column("error", Text),
          Column("created_at", Float, nullable=False), Column("updated_at", Float, nullable=False),
          Index("ix_jobs_user_status", "user", "status"))
    md.create_all(conn)


@migration("0002_users_display")
def _users_display(conn: Connection) -> None:
    # Core has no ALTER construct; this spelling is accepted by SQLite and PostgreSQL alike.
    kind = schema.users.c.display.type.compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE users ADD COLUMN display {kind} NOT NULL DEFAULT ''"))


@migration("0003_interactions_item_index")
def _interactions_item_index(conn: Connection) -> None:
    # Per-item counts (popularity, "who watched this") would otherwise scan the whole log.
    Index("ix_interactions_item", schema.interactions.c.item_id).create(conn)


@migration("0004_accounts")
def _accounts(conn: Connection) -> None:
    md = MetaData()
    Table("accounts", md, Column("name", String, primary_key=True), Column("pw_hash", Text, nullable=False),
          Column("created_at", Float, nullable=False))
    md.create_all(conn)


@migration("0004_jobs_runner")   # written alongside 0004_accounts, and sorted after it
def _jobs_runner(conn: Connection) -> None:
    # Which process runs a job, so a restart can tell a job whose process died from a live one.
    kind = schema.jobs.c.runner.type.compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE jobs ADD COLUMN runner {kind}"))


def _lock(conn: Connection) -> None:
    """Serialise migrators across processes for the rest of this transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    # SQLite: the writer engine opens with BEGIN IMMEDIATE, which already excludes every
    # other writer until commit.


def applied(engine: Engine) -> list[str]:
    """Names of the migrations recorded in this database, oldest first."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "schema_migrations"):
            return []
        t = schema.schema_migrations
        return list(conn.scalars(select(t.c.name).order_by(t.c.name)))


def migrate(engine: Engine) -> list[str]:
    """Apply every migration not yet recorded, in order; return the names applied now."""
    done: list[str] = []
    t = schema.schema_migrations
    for name, fn in MIGRATIONS:
        with writer(engine).begin() as conn:
            _lock(conn)
            t.create(conn, checkfirst=True)
            # Re-read under the lock: another process may have applied it meanwhile.
            if conn.scalar(select(t.c.name).where(t.c.name == name)) is not None:
                continue
            fn(conn)
            conn.execute(t.insert().values(name=name, applied_at=time.time()))
            done.append(name)
    return done
