"""Personal data: finding it, removing it (`redact`), and who may read whose data.

Two detectors, merged: regexes (always available, so `redact` never silently skips) and
presidio over spaCy NER (names, plus phone/e-mail/card recognisers with context). Only
*contact identifiers* (e-mail, phone, street address, card, bank and national ids, IPs)
and person names count; places and dates alone are not personal data here.

Access rule for tools: a user reads only their own profile and history; items are visible
to everyone when public, else only to their owner (`visible_to`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..types import Item
from .base import Context, Unavailable

CONTACT = ("EMAIL", "PHONE", "ADDRESS", "CARD", "BANK", "ID_NUMBER", "IP")
PII = CONTACT + ("PERSON",)   # LOCATION spans are found too (imitation rules need them) but are not personal data

_I = re.IGNORECASE
_STOP = r"(?!(?:the|a|an|on|in|of|and|to|my|at|for|with|from|by|down|up|along|near)\b)"
_PATTERNS = [
    ("EMAIL", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", _I),
    ("CARD", r"\b\d(?:[ -]?\d){12,18}\b", 0),
    ("BANK", r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", 0),
    ("ID_NUMBER", r"\b\d{3}-\d{2}-\d{4}\b|\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", 0),
    ("IP", r"\b(?:\d{1,3}\.){3}\d{1,3}\b", 0),
    ("PHONE", r"(?<![\w/])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,5}\)[ .-]?)?(?:\d{2,7}(?:[ .-]\d{2,7}){1,4}|\d{10,13})(?![\w/])", 0),
    ("ADDRESS", rf"\b\d{{1,5}}[a-z]?,?\s+(?:{_STOP}[a-z]+\.?\s+){{1,3}}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
                r"place|pl|terrace|close|crescent|square|sq|gardens|grove|parkway|row|walk|mews|strasse|straße)\b\.?", _I),
    ("ADDRESS", r"\b(?:apt|apartment|flat|suite|unit)\s*#?\s*\d+\w?\b", _I),
    ("ADDRESS", r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", 0),     # UK postcode
]
_COMPILED = [(kind, re.compile(p, flags)) for kind, p, flags in _PATTERNS]
# Presidio entity -> our kind; low-confidence guesses (driver licence from any 6 digits) are dropped.
_PRESIDIO = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CARD", "IBAN_CODE": "BANK", "US_BANK_NUMBER": "BANK",
             "US_SSN": "ID_NUMBER", "UK_NHS": "ID_NUMBER", "US_PASSPORT": "ID_NUMBER", "US_ITIN": "ID_NUMBER", "IP_ADDRESS": "IP", "PERSON": "PERSON", "LOCATION": "LOCATION"}
_MIN_SCORE = 0.4


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int
    text: str


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _regex_find(text: str) -> list[Found]:
    out = []
    for kind, pat in _COMPILED:
        for m in pat.finditer(text):
            s = m.group(0)
            digits = re.sub(r"\D", "", s)
            if kind == "CARD" and not _luhn(digits):
                continue
            # A phone needs 7+ digits and must not be a year range, a time or a plain number.
            if kind == "PHONE" and (len(digits) < 7 or re.fullmatch(r"\d{4}\s*-\s*\d{4}", s.strip())):
                continue
            if kind == "IP" and any(int(p) > 255 for p in s.split(".")):
                continue
            out.append(Found(kind, m.start(), m.end(), s))
    return out


def find_pii(text: str, ctx: Context | None = None, names: bool = True) -> tuple[list[Found], str | None]:
    """Personal data (and LOCATION spans) in `text`, and why NER could not run (None when it ran or was not asked)."""
    found = _regex_find(text)
    why_not = None
    if ctx is not None:
        from .backends import analyzer

        try:
            results = analyzer(ctx).analyze(text=text, language="en")
        except Unavailable as exc:
            results, why_not = [], str(exc)
        for r in results:
            kind = _PRESIDIO.get(r.entity_type)
            if kind and r.score >= _MIN_SCORE and (names or kind != "PERSON"):
                end = r.end - 2 if kind == "PERSON" and text[r.start:r.end].endswith(("'s", "’s")) else r.end
                found.append(Found(kind, r.start, end, text[r.start:end]))
    return _merge(found), why_not


def _merge(found: list[Found]) -> list[Found]:
    # Keep the longest span where detectors overlap (a card number is not also a phone).
    out: list[Found] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if out and f.start < out[-1].end:
            continue
        out.append(f)
    return out


def public_name(span: str, public: str) -> bool:
    """Is a name span one that the public metadata already states (a cartoon character or a
    creator named in a corpus item's own title, description, tags or credit)? True when one
    of its capitalised words is a word of `public`."""
    known = set(re.findall(r"[a-z0-9]+", public.lower()))
    caps = [w for w in re.findall(r"[^\W\d_][\w'’-]*", span) if w[:1].isupper()]
    return any(re.sub(r"['’]s$", "", w).lower() in known for w in caps)


def redact(text: str, ctx: Context | None = None, names: bool = True, public: str = "", others: list[str] | None = None) -> str:
    """`text` with contact identifiers (and person names when NER runs and `names`) replaced by
    <EMAIL>, <PHONE>, ... Use it on everything a generated item stores: title, description,
    tags, the request copied into provenance. Without `ctx`, regexes only (no names). Names that
    `public` (the public sources' own metadata) states are not personal data and stay. With
    `others` (the item's other texts), names are looked for in `text` as `authenticity.common_cased`
    writes it: a title-cased "Calm Cat Chase" or "Sketch Tour of a Laboratory" is no person's name."""
    from .authenticity import common_cased

    found, _ = find_pii(common_cased(text, others) if others is not None else text, ctx, names)   # same length: spans carry over
    for f in sorted((f for f in found if f.kind in PII), key=lambda f: f.start, reverse=True):
        end = f.end
        if f.kind == "PERSON" and others is not None:   # "Neil" found in "Neil armstrong": the name runs on in the capitals
            end += len(re.match(r"(?:\s+[A-Z][\w'’-]*)*", text[end:]).group(0))
        if f.kind == "PERSON" and public and public_name(text[f.start:end], public):
            continue
        text = text[:f.start] + f"<{f.kind}>" + text[end:]
    return text


def visible_to(item: Item, user: str | None) -> bool:
    """May `user` see `item`? Public items: everyone. Private: only their owner."""
    return item.visibility == "public" or (user is not None and item.owner == user)


def may_read_user_data(requester: str | None, target: str) -> bool:
    """Tools read profiles and histories of the requesting user only; never another user's."""
    return requester is not None and requester == target


def guard_user_data(requester: str | None, target: str) -> None:
    if not may_read_user_data(requester, target):
        raise PermissionError(f"a tool tried to read the data of user {target!r} for {requester!r}: refused (users see only their own data)")
