"""What GeneRec believes about a person, why, how it moved, and their corrections to it.

A belief is a label with a signed strength: a taste (> 0) or an avoidance (< 0). Labels are
the tags of the items a person acted on, each item adding what its events are worth
(`Profile.weights`: a like 1, a full watch 0.6, a play 0.1, a skip -0.3, a dislike -1) to each
of its tags, and the words they stated ("more cats" +1, "no horror" -1). Every belief keeps
its evidence in words. `timeline` replays the log to show how the strongest beliefs moved.

A correction is stored in the user's preferences, the place the ranker already reads:
- forget: the label goes into `set_aside` with the time (the events so far on items carrying it
  stop counting for the content terms of the ranking, `build_profile`; later ones count again)
  and out of the stated include/avoid lists;
- reverse: the same, and the label joins the opposite stated list (a taste becomes "less of
  it", an avoidance "more of it").
Items someone disliked stay unshown: a verdict on an item is not a belief about a topic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import time

from .profile import Profile, aside_items, from_events

STATED = 1.0   # what a stated "more X" / "less X" is worth, on the scale of a like


@dataclass
class Belief:
    label: str
    strength: float                                      # > 0 a taste, < 0 an avoidance
    evidence: list[str] = field(default_factory=list)    # newest first, in words
    stated: bool = False                                 # the person said it (include/avoid)

    @property
    def kind(self) -> str:
        return "taste" if self.strength > 0 else "avoidance"


def _events_in_words(prof: Profile, item) -> str:
    i = item.id
    if i in prof.liked:
        return f"liked “{item.title}”"
    if i in prof.disliked:
        return f"disliked “{item.title}”"
    bits = []
    if i in prof.watched:
        secs = prof.watched[i]
        share = f" ({min(secs / prof.durations[i], 1):.0%})" if prof.durations.get(i) else ""
        bits.append(f"watched {secs:.0f} s{share} of “{item.title}”")
    elif i in prof.played:
        bits.append(f"opened “{item.title}”")
    if i in prof.skipped:
        bits.append(f"skipped “{item.title}”" if not bits else "then skipped it")
    return ", ".join(bits) or f"“{item.title}”"


def strengths(prof: Profile, items: dict) -> dict[str, float]:
    """label -> strength from the events alone (no stated words); `items` maps id -> Item."""
    out: dict[str, float] = {}
    for i, w in prof.weights().items():
        if i in items and w:
            for t in items[i].tags:
                out[t] = out.get(t, 0.0) + w
    return out


def beliefs(prof: Profile, items: dict, n: int = 8) -> list[Belief]:
    """The `n` strongest beliefs (by size of strength), with their evidence."""
    found: dict[str, Belief] = {}
    weights = prof.weights()
    for i in reversed(list(weights)):   # newest evidence first
        w = weights[i]
        if i not in items or not w:
            continue
        said = _events_in_words(prof, items[i])
        for t in items[i].tags:
            b = found.setdefault(t, Belief(t, 0.0))
            b.strength += w
            b.evidence.append(f"{said} ({w:+.1f})")
    prefs = prof.user.preferences or {}
    for key, sign in (("include", 1), ("avoid", -1)):
        for label in prefs.get(key, []):
            b = found.setdefault(label, Belief(label, 0.0))
            b.strength += sign * STATED
            b.stated = True
            b.evidence.insert(0, f"you said “{'more' if sign > 0 else 'less'} {label}” ({sign * STATED:+.1f})")
    for b in found.values():
        b.strength = round(b.strength, 3)
    ranked = sorted((b for b in found.values() if abs(b.strength) > 1e-9), key=lambda b: (-abs(b.strength), b.label))
    return ranked[:n]


def timeline(prof_user, events, items: dict, labels: list[str], points: int = 30) -> list[tuple[int, str, float]]:
    """(step, label, strength) for each label after each of the last events (at most `points`
    steps, evenly spread), replaying `events` (the user's, oldest first; impressions skipped)."""
    acts = [e for e in events if e.kind != "impression"]
    if not acts or not labels:
        return []
    aside = (prof_user.preferences or {}).get("set_aside") or {}
    n = len(acts)
    steps = sorted({max(1, round(n * (k + 1) / points)) for k in range(points)}) if n > points else list(range(1, n + 1))
    durations = {i: it.duration_s for i, it in items.items() if it.duration_s}
    rows = []
    for step in steps:
        prof = from_events(prof_user, acts[:step])
        prof.durations = durations
        prof.set_aside = aside_items(prof, items, aside)
        s = strengths(prof, items)
        rows += [(step, label, round(s.get(label, 0.0), 3)) for label in labels]
    return rows


def correct(preferences: dict, label: str, action: str, current: float, at: float | None = None) -> dict:
    """New preferences after the person forgets or reverses the belief `label` (whose strength
    is `current`); the input is not changed."""
    if action not in ("forget", "reverse"):
        raise ValueError(f"unknown correction {action!r}: forget or reverse")
    prefs = dict(preferences or {})
    include = [x for x in prefs.get("include", []) if x != label]
    avoid = [x for x in prefs.get("avoid", []) if x != label]
    aside = dict(prefs.get("set_aside") or {}, **{label: time.time() if at is None else at})
    if action == "reverse":
        (avoid if current > 0 else include).append(label)
    prefs.update(include=include, avoid=avoid, set_aside=aside)
    return prefs
