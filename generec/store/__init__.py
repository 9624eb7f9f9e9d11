"""Storage layer: `open_store(url)` gives a `Store` over SQLite (default) or PostgreSQL.

Modules: schema (current tables), migrations (named steps that build them), engine (URL to
engine, SQLite pragmas), guard (the SQLite file held and checked before writes), records (checks
and row conversion, Message/Job), db (the Store).
"""
from .db import Store, open_store
from .guard import StoreError
from .migrations import MIGRATIONS, applied, migrate
from .records import JOB_STATUSES, ROLES, VISIBILITIES, Job, Message

__all__ = ["Store", "StoreError", "open_store", "migrate", "applied", "MIGRATIONS", "Job", "Message",
           "JOB_STATUSES", "ROLES", "VISIBILITIES"]
