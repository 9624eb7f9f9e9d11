"""Checking records before they are written, and turning rows back into records.

Every check runs in Python, before any SQL, so bad input fails the same way on SQLite and on
PostgreSQL (ValueError naming the bad value and what is allowed) and a batch with one bad
record writes nothing. Some checks exist only because the two databases disagree: SQLite
stores NaN as NULL and accepts NUL characters in text, PostgreSQL rejects NaN in JSON and NUL
in text; we refuse all of those up front.
Also defines the two records only the store hands out: chat `Message` and generation `Job`.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, get_args

from ..types import EVENT_KINDS, ORIGINS, Interaction, Item, User, Visibility

VISIBILITIES: tuple[str, ...] = get_args(Visibility)
ROLES: tuple[str, ...] = ("user", "assistant", "system", "tool")
JOB_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed", "cancelled")


@dataclass
class Message:
    id: int
    user: str
    session: str
    role: str
    content: str
    meta: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0


@dataclass
class Job:
    id: int
    user: str
    kind: str
    params: dict[str, Any]
    status: str
    progress: float | None
    result: Any
    error: str | None
    created_at: float
    updated_at: float
    runner: str | None = None     # the process running it (see chat.runner_id)


def one_of(what: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of: {', '.join(allowed)}")
    return value


def text(what: str, value: Any, optional: bool = False, empty: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    if not empty and not value.strip():
        raise ValueError(f"{what} must not be empty")
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character")
    return value


def number(what: str, value: Any, optional: bool = False, low: float | None = None,
           high: float | None = None) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{what} {value!r} is outside [{low}, {high}]")
    return value


def jsonable(what: str, value: Any, kind: type | None = dict) -> Any:
    if kind is not None and not isinstance(value, kind):
        raise ValueError(f"{what} must be a {kind.__name__}, got {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} cannot be stored as JSON: {e}") from None
    return value


def strings(what: str, value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list of strings, got {type(value).__name__}")
    return [text(f"{what}[{i}]", v) for i, v in enumerate(value)]


def item_row(it: Item) -> dict[str, Any]:
    w = f"item {getattr(it, 'id', None)!r}:"
    row = {
        "id": text("item id", it.id, empty=False), "title": text(f"{w} title", it.title),
        "description": text(f"{w} description", it.description),
        "tags": strings(f"{w} tags", it.tags), "labels": strings(f"{w} labels", it.labels),
        "media_path": text(f"{w} media_path", it.media_path),
        "cover_path": text(f"{w} cover_path", it.cover_path),
        "duration_s": float(number(f"{w} duration_s", it.duration_s, low=0)),
        "width": int(number(f"{w} width", it.width, low=0)),
        "height": int(number(f"{w} height", it.height, low=0)),
        "has_audio": bool(it.has_audio),
        "origin": one_of(f"{w} origin", it.origin, ORIGINS),
        "parent_id": text(f"{w} parent_id", it.parent_id, optional=True),
        "licence": text(f"{w} licence", it.licence),
        "attribution": text(f"{w} attribution", it.attribution),
        "provenance": jsonable(f"{w} provenance", it.provenance),
        "visibility": one_of(f"{w} visibility", it.visibility, VISIBILITIES),
        "owner": text(f"{w} owner", it.owner, optional=True),
        "source": jsonable(f"{w} source", it.source),
        "created_at": float(number(f"{w} created_at", it.created_at)),
    }
    # Lineage and access rules the columns alone can't express.
    if row["origin"] == "ai_edited" and not row["parent_id"]:
        raise ValueError(f"{w} an ai_edited item needs parent_id (the item it was edited from)")
    if row["parent_id"] == row["id"]:
        raise ValueError(f"{w} parent_id names the item itself")
    if row["visibility"] == "private" and not row["owner"]:
        raise ValueError(f"{w} a private item needs an owner, or nobody could ever see it")
    return row


def user_row(u: User) -> dict[str, Any]:
    w = f"user {getattr(u, 'name', None)!r}:"
    return {
        "name": text("user name", u.name, empty=False), "display": text(f"{w} display", u.display),
        "simulated": bool(u.simulated), "bio": text(f"{w} bio", u.bio),
        "preferences": jsonable(f"{w} preferences", u.preferences),
        "created_at": float(number(f"{w} created_at", u.created_at)),
    }


def interaction_row(ev: Interaction) -> dict[str, Any]:
    kind = one_of("event kind", ev.kind, EVENT_KINDS)
    # Watch seconds are the one value the profile sums up; anything else may carry no value.
    value = number(f"{kind} value", ev.value, optional=kind != "watch", low=0)
    return {
        "user": text("interaction user", ev.user, empty=False),
        "item_id": text("interaction item_id", ev.item_id, empty=False), "kind": kind,
        "value": None if value is None else float(value),
        "at": float(number("interaction time", ev.at)),
        "session": text("interaction session", ev.session, optional=True),
    }


def _pick(cls, row) -> dict[str, Any]:
    m = row._mapping
    return {f.name: m[f.name] for f in fields(cls)}


def to_item(row) -> Item:
    return Item(**_pick(Item, row))


def to_user(row) -> User:
    return User(**_pick(User, row))


def to_interaction(row) -> Interaction:
    return Interaction(**_pick(Interaction, row))


def to_message(row) -> Message:
    return Message(**_pick(Message, row))


def to_job(row) -> Job:
    return Job(**_pick(Job, row))
