"""Authenticity: every fact the narration states must come from a source the creator used.

Facts are named entities (people, places, organisations, events, dates) found by spaCy, and
numbers (digits; number words from "ten" up, since "one" or "two" are mostly not claims).
Evidence is the text of the source items (title, description, tags, attribution) plus the
user's request. A fact is supported when its words all occur in the evidence ("Armstrong"
is supported by "Neil Armstrong"; "1969" only by "1969"). `fix_narration` drops the
sentences that carry unsupported facts; the creator calls it before rendering.

Separately, AI-made items must never be described as real footage (`claims_real_footage`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..types import Item
from .base import Context, Unavailable
from .rules import REAL_FOOTAGE

_ENTS = {"PERSON", "GPE", "LOC", "ORG", "NORP", "FAC", "EVENT", "DATE", "MONEY", "PERCENT", "QUANTITY", "WORK_OF_ART", "LAW", "PRODUCT"}
_NUM = re.compile(r"\b\d[\d,.]*\b")
_NUM_WORDS = re.compile(r"\b(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
                        r"sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?)\b", re.IGNORECASE)
_STOP = {"the", "a", "an", "of", "in", "on", "at", "and", "to", "s", "'s", "its", "this", "that", "these", "those", "year", "years",
         "day", "days", "today", "tonight", "night", "morning", "evening", "now", "time"}
_TECH_KEYS = {"path", "file", "font", "color", "colour", "id", "url", "src", "media", "style", "voice", "transition", "kind",
              "type", "licence", "license", "music", "background", "effect", "asset", "image", "shot_id", "source"}
_NARRATION_KEYS = {"narration", "voiceover", "voice_over", "caption", "captions", "text", "line", "lines", "subtitle", "subtitles", "say", "speech", "overlay"}


@dataclass(frozen=True)
class Claim:
    kind: str      # spaCy label or NUMBER
    text: str


def script_texts(script: dict | list | str | None, narration_only: bool = False, _key: str = "") -> list[str]:
    """Every human-readable string in a script (any nesting); with `narration_only`, only those under narration-like keys."""
    if script is None:
        return []
    if isinstance(script, str):
        return [script] if script.strip() and (not narration_only or _key in _NARRATION_KEYS) else []
    if isinstance(script, dict):
        return [t for k, v in script.items() if str(k).lower() not in _TECH_KEYS
                for t in script_texts(v, narration_only, str(k).lower() if not narration_only or str(k).lower() in _NARRATION_KEYS else _key)]
    if isinstance(script, (list, tuple)):
        return [t for v in script for t in script_texts(v, narration_only, _key)]
    return []


def evidence_text(sources: list[Item], request: str = "") -> str:
    parts = [request] + [f"{s.title} {s.description} {' '.join(s.tags)} {s.attribution}" for s in sources]
    return " ".join(parts)


def _words(text: str) -> set[str]:
    text = text.lower().replace("’", "'")
    return {w for w in re.findall(r"[a-z0-9]+", re.sub(r"'s\b", "", text)) if w not in _STOP}


def _digits(text: str) -> set[str]:
    return {re.sub(r"[,.]", "", m).rstrip("0") or "0" for m in _NUM.findall(text)} | {m for m in _NUM.findall(text)}


_MONTHS = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\bcentury\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)


def _vague_date(ent) -> bool:
    # "tonight", "every summer", "these days" are not facts; "1969" or "July 20" are.
    return ent.label_ in ("DATE", "TIME") and not re.search(r"\d", ent.text) and not _MONTHS.search(ent.text)


def claims(text: str, ctx: Context) -> list[Claim]:
    """Facts stated in `text`. Raises Unavailable when spaCy is missing."""
    from .backends import nlp

    doc = nlp(ctx)(text)
    out = [Claim(e.label_, e.text) for e in doc.ents if e.label_ in _ENTS and not _vague_date(e)]
    seen = " ".join(c.text for c in out)
    out += [Claim("NUMBER", m) for m in _NUM.findall(text) if m not in seen]
    out += [Claim("NUMBER", m) for m in _NUM_WORDS.findall(text) if m.lower() not in seen.lower()]
    return out


def supported(claim: Claim, evidence: str) -> bool:
    words, ev = _words(claim.text), _words(evidence)
    nums = {re.sub(r"[,.]", "", n).rstrip("0") or "0" for n in _NUM.findall(claim.text)}
    if nums and not nums <= _digits(evidence):
        return False
    return words <= ev


def unsupported(text: str, evidence: str, ctx: Context) -> list[Claim]:
    return [c for c in claims(text, ctx) if not supported(c, evidence)]


def fix_narration(text: str, evidence: str, ctx: Context) -> tuple[str, list[str]]:
    """Drop the sentences that state unsupported facts; returns (kept text, dropped sentences)."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    kept, dropped = [], []
    for s in sentences:
        (dropped if s and unsupported(s, evidence, ctx) else kept).append(s)
    return " ".join(k for k in kept if k), dropped


# What the editor and creator write about an item themselves: its clip number, time range and
# length ("clip 2/3", "(from 138-144 s)", "12 s of"), and a restyle's speed ("0.5× speed"). These
# describe the file, not the world.
_OWN_WORDING = re.compile(r"\b\d+(?:\.\d+)?\s*[×x]\s*speed\b|\bclip \d+\s*/\s*\d+\b|\(?\bfrom \d+(?:\.\d+)?\s*[-–]\s*\d+(?:\.\d+)?\s*s\b\)?|"
                          r"\b\d+(?:\.\d+)?\s*[-–]\s*\d+(?:\.\d+)?\s*s\b|\b\d+(?:\.\d+)?\s*(?:s|secs?|seconds)\b(?:\s+of\b)?", re.IGNORECASE)


def own_wording_removed(text: str) -> str:
    """`text` without the app's own wording about the file (clip numbers, time ranges, lengths, speed)."""
    return _OWN_WORDING.sub(" ", text)


def common_cased(text: str, others: list[str]) -> str:
    """`text` with the capitals that name nothing put in lower case, before spaCy looks for facts:
    a word the item writes in lower case elsewhere (`others`: "the forest" under the title "Birds in
    the Forest"), and in a title-cased text every word but the first and those `others` capitalise
    mid-sentence. spaCy's small model reads title-cased common words as names ("Calm Cat Chase" a
    PERSON, "The Rainy Night" a LAW); in sentence case it still finds "paris", "tokyo" or "1969"."""
    others = [t for t in others if t and t != text]
    lower = {w for t in others for w in re.findall(r"\b[a-z]{2,}\b", t)}
    proper = {w for t in others for sent in re.split(r"(?<=[.!?])\s+", t) for w in re.findall(r"\b[A-Z][a-z]+\b", sent)[1:]
              if not sent.startswith(w)}
    long = [w for w in re.findall(r"[A-Za-z][A-Za-z']*", text) if len(w) >= 4]
    caps = [w for w in long if w[0].isupper()]
    titled = len(caps) >= 2 and len(caps) >= 0.6 * len(long)

    def fix(m):
        w = m.group(0)
        if w.lower() in lower and w not in proper:   # "Mom's Birthday" under a request "for my mom"
            return w.lower()
        return w.lower() if titled and m.start() > 0 and w not in proper else w
    return re.sub(r"\b[A-Z][a-z]+\b", fix, text)


def claims_real_footage(texts: list[str]) -> list[str]:
    return [m.group(0) for t in texts for m in [REAL_FOOTAGE.search(t)] if m]


def check(item: Item, script, sources: list[Item], ctx: Context):
    from .base import CheckResult

    texts = [item.title, item.description] + script_texts(script, narration_only=True)
    if item.origin != "human":
        real = claims_real_footage(texts + item.tags + script_texts(script))
        if real:
            return CheckResult.failed("authenticity", f"an AI-made item is described as real footage ({real[0]!r})", phrases=real)
    # speech heard in the source (a clip quotes it, a caption is made of it) is the source's own word
    evidence = " ".join([evidence_text(sources, ctx.request), str(item.provenance.get("heard") or "")])
    own = [own_wording_removed(t) for t in texts[:2]] + texts[2:]   # title and description are the app's wording
    own = [common_cased(t, own) for t in own if t]
    try:
        bad = [c for t in own if t and t.strip() for c in unsupported(t, evidence, ctx)]
    except Unavailable as exc:
        return CheckResult.not_run("authenticity", f"fact check could not run: {exc}")
    if bad:
        shown = ", ".join(f"{c.text!r}" for c in bad[:4])
        return CheckResult.failed("authenticity", f"{len(bad)} stated fact(s) not found in the sources or the request: {shown}",
                                  unsupported=[{"kind": c.kind, "text": c.text} for c in bad])
    return CheckResult.passed("authenticity", "every stated fact comes from the sources or the request")
