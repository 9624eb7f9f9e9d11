"""Accounts and a person's own data: sign-in rows, persona try-out copies, export and erase.

A mixin of `Store` (db.py), like chat.py: one short transaction per call, arguments checked
before any SQL. The password hash arrives already made (generec/accounts.py owns hashing);
this layer never sees a password.
"""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, insert, select

from . import records as R
from .schema import accounts, interactions, items, jobs, messages, users


class PeopleAndAccounts:
    # -- sign-in accounts ------------------------------------------------------------------
    def add_account(self, name: str, pw_hash: str) -> None:
        """Create the account, or replace its password hash."""
        row = {"name": R.text("account name", name, empty=False), "pw_hash": R.text("password hash", pw_hash, empty=False),
               "created_at": time.time()}
        with self._w.begin() as conn:
            self._upsert(conn, accounts, [row], keep=("created_at",))

    def account_hash(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(accounts.c.pw_hash).where(accounts.c.name == name))

    def list_accounts(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(accounts.c.name).order_by(accounts.c.name)))

    def remove_account(self, name: str) -> bool:
        """The sign-in goes; the person's data stays until `erase_users` (the CLI asks which)."""
        with self._w.begin() as conn:
            return conn.execute(delete(accounts).where(accounts.c.name == name)).rowcount > 0

    # -- persona try-out copies -------------------------------------------------------------
    def copy_user(self, src: str, dst: str, display: str) -> bool:
        """A new user `dst` with `src`'s profile and interaction history, in one transaction;
        False (and nothing written) if `dst` exists already. KeyError if `src` does not."""
        with self._w.begin() as conn:
            if conn.scalar(select(users.c.name).where(users.c.name == dst)) is not None:
                return False
            row = conn.execute(select(users).where(users.c.name == src)).mappings().first()
            if row is None:
                raise KeyError(src)
            conn.execute(insert(users).values({**dict(row), "name": dst, "display": display, "created_at": time.time()}))
            cols = [c for c in interactions.c if c.name != "id"]
            hist = conn.execute(select(*cols).where(interactions.c.user == src).order_by(interactions.c.id)).mappings().all()
            if hist:
                conn.execute(insert(interactions), [{**dict(h), "user": dst} for h in hist])
        return True

    # -- a person's own data ---------------------------------------------------------------
    def user_data(self, names: list[str]) -> dict[str, Any]:
        """Everything stored about these users (profiles, interactions, messages, jobs, owned
        items), as plain JSON-ready rows: what a person downloads from "Your data"."""
        out: dict[str, Any] = {}
        with self.engine.connect() as conn:
            for key, table, col in (("profiles", users, users.c.name), ("interactions", interactions, interactions.c.user),
                                    ("messages", messages, messages.c.user), ("jobs", jobs, jobs.c.user),
                                    ("items", items, items.c.owner)):
                out[key] = [dict(r) for r in conn.execute(select(table).where(col.in_(names))).mappings()]
        return out

    def erase_users(self, names: list[str]) -> dict[str, int]:
        """Delete these users and everything stored about them, all or nothing; returns the
        rows removed per table. Owned items go too (their files are the caller's to remove)."""
        counts: dict[str, int] = {}
        with self._w.begin() as conn:
            for key, table, col in (("interactions", interactions, interactions.c.user), ("messages", messages, messages.c.user),
                                    ("jobs", jobs, jobs.c.user), ("items", items, items.c.owner),
                                    ("profiles", users, users.c.name)):
                counts[key] = conn.execute(delete(table).where(col.in_(names))).rowcount
        return counts
