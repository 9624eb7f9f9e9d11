"""Guidance: the one structured object every request becomes, and its bounded JSON schema.

Every string is length-bounded and every list is short, so a small local model constrained
by this schema cannot run away while generating it. `Guidance.parse` repairs what small
models commonly get wrong (wrong case, stray keys, numbers as strings, a lone string where a
list belongs) and raises `GuidanceError` when the output cannot be read at all.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

ACTIONS = ("retrieve", "edit", "create", "chat")
EDIT_OPS = ("clip", "thumbnail", "restyle", "caption")
MAX_STR = 120
MAX_LIST = 5
MAX_ITEM = 40


class GuidanceError(ValueError):
    """The model's output could not be read as guidance."""


def schema() -> dict:
    """Two shapes: an edit must name its edit_op right after the action; other actions carry none.

    A grammar built from this cannot emit an edit without an operation, which the 1.5B model
    otherwise did now and then ("speed up the racing one 2x").
    """
    s = {"type": ["string", "null"], "maxLength": MAX_STR}
    lst = {"type": "array", "items": {"type": "string", "maxLength": MAX_ITEM}, "maxItems": MAX_LIST}
    slots = {"query": s, "style": s, "mood": s,
             "duration_s": {"type": ["number", "null"], "minimum": 0, "maximum": 600},
             "item_ref": s, "include": lst, "avoid": lst}
    edit = {"action": {"type": "string", "enum": ["edit"]},
            "edit_op": {"type": "string", "enum": list(EDIT_OPS)}, **slots}
    other = {"action": {"type": "string", "enum": [a for a in ACTIONS if a != "edit"]}, **slots}
    # only what each shape needs is required: omitting empty slots keeps a small model's answer short
    return {"type": "object", "anyOf": [
        {"type": "object", "properties": edit, "required": ["action", "edit_op"], "additionalProperties": False},
        {"type": "object", "properties": other, "required": ["action"], "additionalProperties": False},
    ]}


def _str(v: Any) -> str | None:
    if v is None:
        return None
    v = str(v).strip()
    return v[:MAX_STR] if v and v.lower() not in ("null", "none", "n/a", "") else None


def _list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        v = [p for p in re.split(r"[;,]", v)]
    out = []
    for x in v if isinstance(v, list) else []:
        s = _str(x)
        if s and s.lower() not in (o.lower() for o in out):
            out.append(s[:MAX_ITEM])
    return out[:MAX_LIST]


@dataclass
class Guidance:
    action: str = "retrieve"
    edit_op: str | None = None
    query: str | None = None
    style: str | None = None
    mood: str | None = None
    duration_s: float | None = None
    item_ref: str | None = None
    include: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def compact(self) -> str:
        """The JSON a model is taught to write: empty slots left out."""
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, [])}, ensure_ascii=False)

    @classmethod
    def parse(cls, raw: Any) -> "Guidance":
        if isinstance(raw, str):
            m = re.search(r"\{.*\}", raw, re.S)
            try:
                raw = json.loads(m.group(0) if m else raw)
            except json.JSONDecodeError as exc:
                raise GuidanceError(f"not JSON: {exc.msg}") from exc
        if not isinstance(raw, dict):
            raise GuidanceError("guidance must be a JSON object")
        action = str(raw.get("action", "")).strip().lower()
        if action not in ACTIONS:
            raise GuidanceError(f"action {action[:20]!r} is not one of {', '.join(ACTIONS)}")
        op = _str(raw.get("edit_op"))
        op = op.lower() if op else None
        if op not in EDIT_OPS:
            op = None
        if action == "edit" and op is None:
            raise GuidanceError("an edit needs edit_op: one of " + ", ".join(EDIT_OPS))
        dur = raw.get("duration_s")
        try:
            dur = float(dur) if dur not in (None, "", "null") else None
        except (TypeError, ValueError):
            dur = None
        if dur is not None and not 0 < dur <= 600:
            dur = None
        return cls(action=action, edit_op=op if action == "edit" else None, query=_str(raw.get("query")),
                   style=_str(raw.get("style")), mood=_str(raw.get("mood")), duration_s=dur,
                   item_ref=_str(raw.get("item_ref")), include=_list(raw.get("include")), avoid=_list(raw.get("avoid")))
