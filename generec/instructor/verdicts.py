"""Verdicts in words: "I love the second one", "the dog one was great", "this is boring".

Owns reading a message into the verdicts it gives on shown items and the request left over
("love it, more like that" is a like on "it" plus a search for more). A verdict needs something
to point at: an ordinal, "the <words> one", or this/that/it; a message that is only a verdict
("boring", "so good!") points at "this". A liking of a topic ("I love dogs") is a standing
preference, not a verdict: it names no item, so it is left to the planner. `undo` asks to take
back the last verdict. Which item a pointer means is decided by `refs.resolve` and the caller.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .rules import CREATE, EDIT_OPS

NEGATIVE = re.compile(
    r"\b(boring|bored|dull|lame|meh|awful|terrible|horrible|rubbish|crap|ugly|annoying|bad|worst|hate[ds]?|dislike[ds]?|"
    r"(do|did)(n'?t| not) (really )?(like|love|enjoy|want)|not (for me|my (thing|taste|cup of tea))|"
    r"not (this|that|these|those) kind|no more (like|of) (this|that|these|those)|not (great|good|nice|fun|interesting)|"
    r"thumbs? down|too boring)\b")
POSITIVE = re.compile(
    r"\b(love[ds]?|loving|great|awesome|amazing|brilliant|perfect|fantastic|beautiful|lovely|wonderful|excellent|"
    r"superb|cool|nice|enjoyed|favou?rite|hilarious|cute|good|fun|thumbs? up|"
    r"i (really |so |do |quite )?like[ds]?|liked|like[ds]? (it|this|that|these|those))\b")
NOT_A_VERDICT = re.compile(r"\b(you'?re|you are|i'?d like|would like|like to|like it was|(something|anything|more|ones?|stuff) like|similar|not bad)\b")
ORDINAL = r"(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)"
POINTER = re.compile(rf"\b(the {ORDINAL}( one| video| clip)?|the ([a-z'-]+ ){{1,3}}(one|video|clip|vid)|{ORDINAL} one)\b"
                     r"|\b(this one|that one|this|that|it|these|those)\b")
# a clause that asks for something: it is the request, even when it holds "like" ("more like that")
ASKS = re.compile(r"\b(show|find|give|make|create|generate|want|more|another|next|something|anything|play|search|cut|clip|"
                  r"trim|turn|change|restyle|caption|subtitle)\b")
FILLER = set("so really very quite just too the a an it this that one was is it's its that's this's what oh wow omg "
             "lol haha ugh yeah yes well kinda pretty i am totally super absolutely".split())
POLITE = set("thanks thank you cheers pls please ta thx lol haha nice".split())
UNDO = re.compile(r"^\s*(undo|undo (that|it|this)|take (that|it) back|never ?mind (that|the (like|dislike|rating)))\s*[.!]*\s*$")
CLAUSE = re.compile(r"([,.;!?]+|\s+(?:but|and|then)\s+|\s+-\s+)")
# a question about an item is no verdict on it ("is it any good?", "what makes it a good movie?")
QUESTION = re.compile(r"^(is|was|are|were|did|does|do|what|how|why|which|who|have you|has|can|could|would|will|should)\b")


@dataclass
class Verdict:
    kind: str          # "like" or "dislike"
    pointer: str       # what it points at ("the second one", "the dog one", "this")
    words: str         # the clause it came from
    bare: bool = False  # no pointer of its own ("so boring"): taken to mean what is on screen


def is_undo(text: str) -> bool:
    return bool(UNDO.match((text or "").lower()))


def _verdict(clause: str, asked: bool = False) -> Verdict | None:
    c = clause.strip().lower().replace("’", "'")
    if not c or NOT_A_VERDICT.search(c) or asked or QUESTION.match(c):
        return None
    kind = "dislike" if NEGATIVE.search(c) else "like" if POSITIVE.search(c) else None
    if kind is None:
        return None
    if ASKS.search(c) and not re.search(r"\bno more (like|of)\b", c):
        return None
    m = POINTER.search(c)
    if m:   # "these"/"those" mean what is on screen, as "this" does
        return Verdict(kind, "this" if m.group(0) in ("these", "those") else m.group(0), c)
    rest = [w for w in re.findall(r"[a-z']+", NEGATIVE.sub(" ", POSITIVE.sub(" ", c))) if w not in FILLER]
    return Verdict(kind, "this", c, bare=True) if not rest else None   # "so boring", "love!": about what is on screen


def read(text: str) -> tuple[list[Verdict], str]:
    """The verdicts a message gives, and the rest of it (the request part; "" when it asks nothing).
    A message that names an edit or a creation is a request ("the title is boring, rewrite it"),
    and a bare verdict ("meh") counts only as the whole message ("meh, not these" rejects the answer)."""
    text = (text or "").strip()
    low = " " + text.lower() + " "
    if re.search(CREATE, low) or re.search(r"\b(rewrite|redo|edit|add|remove|fix|brighten|darken|louder|quieter|crop|mute)\b", low) or any(re.search(p, low) for _, p in EDIT_OPS):
        return [], text
    verdicts, rest = [], []
    parts = CLAUSE.split(text)
    for clause, after in zip(parts[::2], parts[1::2] + [""]):
        if not clause or not clause.strip():
            continue
        v = _verdict(clause, asked="?" in after)
        if v:
            verdicts.append(v)
        else:
            rest.append(clause.strip())
    if rest:
        verdicts = [v for v in verdicts if not v.bare]
    if not verdicts:
        return [], text
    leftover = ", ".join(rest)
    content = [w for w in re.findall(r"[a-z']+", leftover.lower()) if w not in FILLER and w not in POLITE]
    return verdicts, leftover if content else ""
