"""Side panels of the chat: the profile card, the beliefs picture and the corpus table.

The beliefs picture is two plots' frames (the beliefs now; how the strongest moved), the evidence
in words, and the labels a person may forget or reverse."""
from __future__ import annotations

from ..app import GeneRec, UserError


def profile_markdown(app: GeneRec, name: str) -> str:
    try:
        p = app.profile_summary(name)
    except (UserError, KeyError):
        return f"No profile called “{name}”."
    lines = [f"### {p['display']}"]
    if p["bio"]:
        lines.append(p["bio"])
    if p["simulated"]:
        lines.append(f"*Persona with a **simulated** history ({p['simulated_events']} simulated events); your own clicks add real ones.*")
    fmt = lambda xs: ", ".join(xs[-6:]) if xs else "—"  # noqa: E731
    lines += [f"**Likes:** {fmt(p['liked'])}", f"**Dislikes:** {fmt(p['disliked'])}",
              f"**Tastes so far:** {fmt(p['tastes'])}", f"**Avoids:** {fmt(p['avoids'])}"]
    prefs = p["preferences"] or {}
    if prefs.get("include") or prefs.get("avoid"):
        lines.append(f"**You said:** more {fmt(prefs.get('include', []))}; less {fmt(prefs.get('avoid', []))}")
    return "  \n".join(lines)


def corpus_rows(app: GeneRec) -> list[list]:
    return [[it.id, it.title, ", ".join(it.tags[:5]), round(it.duration_s, 1), it.origin, it.licence]
            for it in app.store.list_items(visible_to=None)[:2000]]   # a large catalogue (MovieLens) is cut to its first 2,000


BELIEF_COLUMNS = (["belief", "strength", "kind"], ["step", "belief", "strength"])


def beliefs_view(app: GeneRec, name: str):
    """(bars of the current beliefs, their movement over the person's signals, the evidence in
    Markdown, the labels one may correct)."""
    import pandas as pd

    try:
        view = app.beliefs(name)
    except (UserError, KeyError):
        return pd.DataFrame(columns=BELIEF_COLUMNS[0]), pd.DataFrame(columns=BELIEF_COLUMNS[1]), "", []
    found = view["beliefs"]
    bars = pd.DataFrame([(b.label, b.strength, b.kind) for b in found], columns=BELIEF_COLUMNS[0])
    lines = pd.DataFrame(view["timeline"], columns=BELIEF_COLUMNS[1])
    if not found:
        text = "Nothing yet: 👍/👎, watching or skipping videos, or saying “more of …”, builds this picture."
    else:
        text = "\n".join(f"- **{b.label}** ({b.kind}, {b.strength:+.1f}): " + "; ".join(b.evidence[:3])
                         + (f"; and {len(b.evidence) - 3} more" if len(b.evidence) > 3 else "") for b in found)
    if view["set_aside"]:
        text += "\n\n*Set aside by you:* " + ", ".join(view["set_aside"])
    return bars, lines, text, [(f"{b.label} ({b.kind} {b.strength:+.1f})", b.label) for b in found]
