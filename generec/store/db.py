"""`Store`: every read and write of users, items, interactions, chat messages and jobs.

Each public method is one short transaction of its own, so concurrent Gradio sessions can
call it from any thread; the engine's pool hands each call its own connection. Records are
checked (records.py) before any SQL runs, and batches are written in a single transaction,
so a bad record raises ValueError and leaves the database exactly as it was. A write the
store cannot make durable (its SQLite file changed under it, see guard.py) raises StoreError.
Copies of the database are made by `backup_to`, never by opening the file elsewhere.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import Connection, Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from . import records as R
from .chat import ChatAndJobs
from .people import PeopleAndAccounts
from .engine import dispose, make_engine, writer
from .guard import StoreError
from .migrations import migrate
from .schema import TABLES, interactions, items, users
from ..types import EVENT_KINDS, ORIGINS, Interaction, Item, User


class Store(ChatAndJobs, PeopleAndAccounts):
    def __init__(self, url: str, migrate_now: bool = True):
        self.url = url
        self.engine = make_engine(url)
        self._w = writer(self.engine)
        try:
            self.applied = migrate(self.engine) if migrate_now else []
        except BaseException:
            dispose(self.engine)      # don't leave pooled connections behind a failed open
            raise

    # -- plumbing ------------------------------------------------------------------------
    def _upsert(self, conn: Connection, table: Table, rows: list[dict], keep: tuple[str, ...] = ()):
        """Insert, or overwrite the row with the same primary key, atomically on both databases."""
        ins = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
        key = [c.name for c in table.primary_key]
        changed = {c: ins.excluded[c] for c in rows[0] if c not in key and c not in keep}
        conn.execute(ins.on_conflict_do_update(index_elements=key, set_=changed), rows)

    def _insert(self, conn: Connection, table: Table, row: dict, what: str) -> int:
        try:
            return conn.execute(table.insert().values(**row)).inserted_primary_key[0]
        except IntegrityError:
            # The only constraint records.py leaves to the database is the user foreign key.
            raise ValueError(f"{what}: unknown user {row['user']!r} (store the user first)") from None

    def _unknown_users(self, names: Iterable[str]) -> list[str]:
        wanted = sorted(set(names))
        with self.engine.connect() as conn:
            known = set(conn.scalars(select(users.c.name).where(users.c.name.in_(wanted))))
        return [n for n in wanted if n not in known]

    # -- users ---------------------------------------------------------------------------
    def upsert_user(self, user: User) -> None:
        """Create the user, or update every field except created_at."""
        with self._w.begin() as conn:
            self._upsert(conn, users, [R.user_row(user)], keep=("created_at",))

    def get_user(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return R.to_user(row) if row else None

    def list_users(self, simulated: bool | None = None) -> list[User]:
        q = select(users).order_by(users.c.name)
        if simulated is not None:
            q = q.where(users.c.simulated == simulated)
        with self.engine.connect() as conn:
            return [R.to_user(r) for r in conn.execute(q)]

    def set_preferences(self, name: str, preferences: dict[str, Any]) -> None:
        """Replace the user's stated preferences; KeyError if there is no such user."""
        prefs = R.jsonable("preferences", preferences)
        with self._w.begin() as conn:
            if conn.execute(update(users).where(users.c.name == name).values(preferences=prefs)).rowcount == 0:
                raise KeyError(name)

    # -- items ---------------------------------------------------------------------------
    def add_item(self, item: Item) -> None:
        self.add_items([item])

    def add_items(self, batch: Iterable[Item]) -> int:
        """Insert or replace items by id, all or none; returns how many were written."""
        rows = [R.item_row(it) for it in batch]
        # Within one statement the two databases disagree on a repeated key (SQLite: last
        # wins; PostgreSQL: error), so refuse it before either sees it.
        dup = sorted(i for i, n in Counter(r["id"] for r in rows).items() if n > 1)
        if dup:
            raise ValueError(f"item ids repeated within one batch: {', '.join(map(repr, dup))}")
        if not rows:
            return 0
        # Unknown owners are caught by the foreign key mid-batch; the transaction then rolls
        # back whatever part of the batch it had already written.
        try:
            with self._w.begin() as conn:
                self._upsert(conn, items, rows)
        except IntegrityError:
            missing = self._unknown_users(r["owner"] for r in rows if r["owner"])
            raise ValueError(f"item owner(s) {', '.join(map(repr, missing))} are not known users; "
                             "nothing from this batch was stored") from None
        return len(rows)

    def get_item(self, item_id: str) -> Item | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(items).where(items.c.id == item_id)).first()
        return R.to_item(row) if row else None

    def get_items(self, ids: Iterable[str]) -> dict[str, Item]:
        """Item id -> item for those of `ids` that exist (whatever their visibility)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            return {r.id: R.to_item(r) for r in conn.execute(select(items).where(items.c.id.in_(wanted)))}

    def list_items(self, visible_to: str | None = None, origin: str | None = None) -> list[Item]:
        """Public items, plus `visible_to`'s private ones; oldest first."""
        q = select(items).where(_seen_by(visible_to)).order_by(items.c.created_at, items.c.id)
        if origin is not None:
            q = q.where(items.c.origin == R.one_of("origin", origin, ORIGINS))
        with self.engine.connect() as conn:
            return [R.to_item(r) for r in conn.execute(q)]

    def visible_origins(self, user: str | None) -> dict[str, str]:
        """Item id -> origin of what `list_items(visible_to=user)` lists, in the same order, without
        building Item objects (a 9k-movie catalogue as Items costs ~0.35 s: the feed reads this per answer)."""
        q = select(items.c.id, items.c.origin).where(_seen_by(user)).order_by(items.c.created_at, items.c.id)
        with self.engine.connect() as conn:
            return dict(conn.execute(q).all())

    def remove_item(self, item_id: str) -> bool:
        """Delete the item row (its interactions stay: they are history); True if it existed."""
        with self._w.begin() as conn:
            return conn.execute(delete(items).where(items.c.id == item_id)).rowcount > 0

    # -- interactions --------------------------------------------------------------------
    def record(self, event: Interaction) -> int:
        """Store one interaction; returns its row id."""
        row = R.interaction_row(event)
        with self._w.begin() as conn:
            return self._insert(conn, interactions, row, f"{row['kind']} event")

    def take_back(self, user: str, session: str | None, kinds: Iterable[str]) -> Interaction | None:
        """Delete this user's latest interaction of `kinds` in `session` (an undo); the row it was, or None."""
        kinds = [R.one_of("event kind", k, EVENT_KINDS) for k in kinds]
        q = (select(interactions).where(interactions.c.user == user, interactions.c.session == session, interactions.c.kind.in_(kinds))
             .order_by(interactions.c.at.desc(), interactions.c.id.desc()).limit(1))
        with self._w.begin() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            conn.execute(delete(interactions).where(interactions.c.id == row.id))
            return R.to_interaction(row)

    def record_many(self, events: Iterable[Interaction]) -> int:
        """Store many interactions in one transaction (all or none); returns how many."""
        rows = [R.interaction_row(e) for e in events]
        if not rows:
            return 0
        try:
            with self._w.begin() as conn:
                conn.execute(interactions.insert(), rows)
        except IntegrityError:
            missing = self._unknown_users(r["user"] for r in rows)
            raise ValueError(f"interactions name unknown user(s) {', '.join(map(repr, missing))}; "
                             "nothing from this batch was stored") from None
        return len(rows)

    def interactions(self, user: str | None = None, kinds: Iterable[str] | None = None,
                     since: float | None = None, item_id: str | None = None) -> list[Interaction]:
        """Matching interactions in the order they happened (time, then arrival)."""
        q = select(interactions).order_by(interactions.c.at, interactions.c.id)
        if user is not None:
            q = q.where(interactions.c.user == user)
        if kinds is not None:
            q = q.where(interactions.c.kind.in_([R.one_of("event kind", k, EVENT_KINDS) for k in kinds]))
        if since is not None:
            q = q.where(interactions.c.at >= since)
        if item_id is not None:
            q = q.where(interactions.c.item_id == item_id)
        with self.engine.connect() as conn:
            return [R.to_interaction(r) for r in conn.execute(q)]

    def count_interactions(self, session: str | None = None) -> int:
        """How many interactions are stored, or only those recorded under `session`."""
        q = select(func.count()).select_from(interactions)
        if session is not None:
            q = q.where(interactions.c.session == session)
        with self.engine.connect() as conn:
            return int(conn.scalar(q))

    def events_since(self, after: int = 0) -> list[tuple]:
        """Raw (id, user, item_id, kind, value, at) rows with row id > `after`, in arrival order:
        the recommender's incremental feed (cheaper than building Interaction objects)."""
        c = interactions.c
        q = select(c.id, c.user, c.item_id, c.kind, c.value, c.at).where(c.id > after).order_by(c.id)
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(q)]

    def watched_seconds(self, up_to: int | None = None) -> dict[tuple[str, str], float]:
        """(user, item) -> total seconds of their `watch` rows (those with row id <= `up_to`, if given)."""
        c = interactions.c
        q = select(c.user, c.item_id, func.sum(c.value)).where(c.kind == "watch").group_by(c.user, c.item_id)
        if up_to is not None:
            q = q.where(c.id <= up_to)
        with self.engine.connect() as conn:
            return {(u, i): float(v or 0.0) for u, i, v in conn.execute(q)}

    def last_event_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.max(interactions.c.id))) or 0)

    def item_durations(self) -> dict[str, float]:
        """Length in seconds of every item, public or private."""
        with self.engine.connect() as conn:
            return {i: float(d or 0.0) for i, d in conn.execute(select(items.c.id, items.c.duration_s))}

    # -- misc ----------------------------------------------------------------------------
    def count(self, table: str) -> int:
        t = TABLES.get(R.one_of("table", table, tuple(TABLES)))
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(t))

    def backup_to(self, path: str | os.PathLike) -> Path:
        """A consistent copy of the whole SQLite database at `path` (overwritten if it exists), made
        by SQLite's backup API over one of the store's own connections: a file copy could miss or
        tear what still sits in the WAL, and opening the file outside the store would drop its locks."""
        if self.engine.dialect.name != "sqlite":
            raise StoreError(f"backup_to copies SQLite databases only; this store is on {self.engine.dialect.name} "
                             "(use its own tools, e.g. pg_dump)")
        import sqlite3

        dst = Path(path)
        guard = self.engine.guard
        if guard is not None and dst.exists() and os.path.samefile(dst, guard.db):
            raise StoreError(f"backup_to: {dst} is this store's own database")
        dst.parent.mkdir(parents=True, exist_ok=True)
        with self.engine.connect() as conn:
            target = sqlite3.connect(str(dst))
            try:
                conn.connection.driver_connection.backup(target)
            finally:
                target.close()
        return dst

    def close(self) -> None:
        dispose(self.engine)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _seen_by(user: str | None):
    """The catalogue's visibility rule: public items, plus `user`'s own private ones."""
    seen = items.c.visibility == "public"
    if user is not None:
        seen = or_(seen, and_(items.c.visibility == "private", items.c.owner == user))
    return seen


def open_store(url: str) -> Store:
    """Open (creating and migrating if needed) the database at `url`, e.g. `Settings.db_url`."""
    return Store(url)
