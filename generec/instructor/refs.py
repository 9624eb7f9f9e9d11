"""Resolving what a person points at ("that one", "the second one", "the dog video") to an item id.

Only ids of items this user may see come out of here; a reference is never used as a path,
so `../../etc/passwd` or another user's private item simply resolves to nothing.
"""
from __future__ import annotations

import difflib
import re

import numpy as np

ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4}
DEICTIC = re.compile(r"^(it|that|this|that one|this one|the one|that video|this video|that clip|this clip|the video|the clip|same one)$")


def resolve(ref: str | None, shown: list[str], visible: dict, embed=None, liked: list[str] | None = None, min_sim: float = 0.35) -> str | None:
    """`shown`: ids of the latest answer first-to-last; `visible`: id -> Item the user may see."""
    if not ref:
        return None
    r = ref.strip().lower()
    last = [i for i in shown if i in visible]
    if r in visible:
        return r
    for i in last:   # a verdict naming a shown title points at it by the title itself
        if visible[i].title.lower() == r:
            return i
    place = re.search(r"\b(top|bottom|middle) one\b", r)
    if place and last:   # the chat lists an answer top to bottom
        return last[{"top": 0, "bottom": -1, "middle": len(last) // 2}[place.group(1)]]
    for word, n in ORDINALS.items():
        if re.search(rf"\b{word}\b", r) and n < len(last):
            return last[n]
    for word in re.findall(r"[a-z]{4,}", r):   # as typed in a hurry: "the secnd one", "thrid", "frist"
        near = difflib.get_close_matches(word, [w for w in ORDINALS if w.isalpha()], n=1, cutoff=0.8)
        if near and ORDINALS[near[0]] < len(last):
            return last[ORDINALS[near[0]]]
    if re.search(r"\blast\b", r) and last:
        return last[-1]
    if DEICTIC.match(r):
        for i in reversed(liked or []):
            if i in last:
                return i
        return last[0] if last else None
    pool = last or list(visible)
    if re.search(r"\b(long|longest)\b", r):
        return max(pool, key=lambda i: visible[i].duration_s) if pool else None
    if re.search(r"\b(short|shortest)\b", r):
        return min(pool, key=lambda i: visible[i].duration_s) if pool else None
    if embed is None:
        return None
    words = re.sub(r"\b(the|that|this|one|video|clip|of|with)\b", " ", r).strip()
    if not words:
        return last[0] if last else None
    cands = list(dict.fromkeys(last + list(visible)))
    texts = [f"{visible[i].title}. {', '.join(visible[i].tags)}" for i in cands]
    sims = embed(texts) @ embed([words])[0]
    # prefer what was just shown: a small bonus breaks ties toward the conversation
    sims = sims + np.array([0.05 if i in last else 0.0 for i in cands])
    j = int(np.argmax(sims))
    return cands[j] if sims[j] >= min_sim else None
