"""The database schema as it stands after the last migration: tables, columns, indexes.

Queries in `db.py` are built from these `Table` objects. They describe the *current* shape
only; how a database gets there is `migrations.py`'s job (a test checks the two agree).
Types are kept portable so one definition serves SQLite and PostgreSQL: unbounded strings
(VARCHAR length limits would be enforced by PostgreSQL only), Float epoch seconds rather than
timezone-dependent datetimes, and JSON for free-form dicts and lists.
"""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text)

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("name", String, primary_key=True),
    Column("display", String, nullable=False, server_default=""),      # added by 0002
    Column("simulated", Boolean, nullable=False, default=False),
    Column("bio", Text, nullable=False, default=""),
    Column("preferences", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
)

# No foreign key on parent_id: an edit must keep naming its source even after the source
# item is removed from the catalogue (lineage is history, not a live reference).
items = Table(
    "items", metadata,
    Column("id", String, primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("media_path", Text, nullable=False),
    Column("cover_path", Text, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("has_audio", Boolean, nullable=False),
    Column("origin", String, nullable=False),
    Column("parent_id", String, nullable=True),
    Column("licence", Text, nullable=False),
    Column("attribution", Text, nullable=False),
    Column("provenance", JSON, nullable=False),
    Column("visibility", String, nullable=False),
    Column("owner", String, ForeignKey("users.name"), nullable=True),
    Column("source", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_items_origin", "origin"),
    Index("ix_items_owner", "owner"),
)

# item_id is deliberately not a foreign key: removing an item from the catalogue must not
# erase (or be blocked by) the interaction history that mentions it.
interactions = Table(
    "interactions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String, ForeignKey("users.name"), nullable=False),
    Column("item_id", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("value", Float, nullable=True),
    Column("at", Float, nullable=False),
    Column("session", String, nullable=True),
    Index("ix_interactions_user_at", "user", "at"),
    Index("ix_interactions_item", "item_id"),                           # added by 0003
)

messages = Table(
    "messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String, ForeignKey("users.name"), nullable=False),
    Column("session", String, nullable=False),
    Column("role", String, nullable=False),
    Column("content", Text, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_messages_user_session", "user", "session", "id"),
)

jobs = Table(
    "jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String, ForeignKey("users.name"), nullable=False),
    Column("kind", String, nullable=False),
    Column("params", JSON, nullable=False),
    Column("status", String, nullable=False),
    Column("progress", Float, nullable=True),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("runner", String, nullable=True),                            # added by 0004_jobs_runner
    Index("ix_jobs_user_status", "user", "status"),
)

# Sign-in accounts (added by 0004): a name and a salted password hash, never the password.
# Profiles belong to an account by name: the account's own user row has the same name, and
# its try-out copies of personas are `<account>--<persona>` (see generec/accounts.py).
accounts = Table(
    "accounts", metadata,
    Column("name", String, primary_key=True),
    Column("pw_hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Bookkeeping for migrations.py; created by the runner itself, before any migration.
schema_migrations = Table(
    "schema_migrations", metadata,
    Column("name", String, primary_key=True),
    Column("applied_at", Float, nullable=False),
)

TABLES: dict[str, Table] = {t.name: t for t in (users, items, interactions, messages, jobs, accounts, schema_migrations)}
