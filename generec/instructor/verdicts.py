"""Verdicts in words: "I love the second one", "the dog one was great", "this is boring".

Owns reading a message into the verdicts it gives on shown items and the request left over
("love it, more like that" is a like on "it" plus a search for more). A verdict needs something
to point at: an ordinal, "the <words> one", or this/that/it; a message that is only a verdict
("boring", "so good!") points at "this". A liking of a topic ("I love dogs") is a standing
preference, not a verdict: it names no item, so it is left to the planner. `undo` asks to take
back the last verdict. Which item a pointer means is decided by `refs.resolve` and the caller.

Beyond the cue words, a clause's polarity comes from VADER (Hutto & Gilbert 2014; its own
lexicon of 7,500 rated words, slang and emoticons, with boosters and negation), so "absolutely
charming" or "way too loud and chaotic" count; a few emoji it leaves unrated are read here. With
the titles on screen (`shown`), a clause naming one of them ("plants on a windowsill... yawn")
points at it, and positions are read as people write them ("2nd was cute", "number two", "the
bottom one").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .rules import CREATE, EDIT_OPS

NEGATIVE = re.compile(
    r"\b(boring|bored|dull|lame|meh|awful|terrible|horrible|rubbish|crap|ugly|annoying|bad|worst|hate[ds]?|dislike[ds]?|"
    r"(do|did)(n'?t| not) (really )?(like|love|enjoy|want)|not (for me|my (thing|taste|cup of tea))|"
    r"not (this|that|these|those) kind|no more (like|of) (this|that|these|those)|not (great|good|nice|fun|interesting)|"
    r"thumbs? down|too boring|cringe|cringy|creepy|pointless|samey|yawn|headache|trash|sucks?|mid(?!-))\b")
POSITIVE = re.compile(
    r"\b(love[ds]?|loving|great|awesome|amazing|brilliant|perfect|fantastic|beautiful|lovely|wonderful|excellent|"
    r"superb|cool|nice|enjoyed|favou?rite|hilarious|cute|good|fun|thumbs? up|wholesome|adorable|banger|epic|10/10|"
    r"i (really |so |do |quite )?like[ds]?|liked|like[ds]? (it|this|that|these|those))\b")
# a wish, a likeness, or what something would be ("it'd be perfect for halloween"), not a judgement of what was seen
NOT_A_VERDICT = re.compile(r"\b(you'?re|you are|i'?d like|would like|like to|like it was|(something|anything|more|ones?|stuff) like|similar|"
                           r"(it'?d|that'?d|would|will|gonna) be)\b")
NOT_BAD = re.compile(r"\b(not|isn'?t|wasn'?t|ain'?t) (too |that |so |half |at all )?bad\b")
TOO = re.compile(r"\btoo (loud|noisy|quiet|long|slow|fast|dark|bright|busy|chaotic|much|repetitive|short|weird|random)\b")
ORDINAL = r"(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)"
POINTER = re.compile(rf"\b(the {ORDINAL}( one| video| clip)?|the ([a-z'-]+ ){{1,3}}(one|video|clip|vid)|{ORDINAL} one)\b"
                     r"|\b(this one|that one|this|that|it|these|those)\b")
# an ordinal anywhere before "one"/"video"/"clip": "that last clip", "I have to say the second video ..."
ORDINAL_ANY = re.compile(rf"\b{ORDINAL} (one|video|clip|vid)\b")
# a position written without "the": "2nd was cute", "last one killed me", "number two", "bottom one"
POSITION = re.compile(rf"^(?:the )?(?:{ORDINAL}|number (?:one|two|three|four|five|[1-5])|(?:top|bottom|middle) one)\b")
NUMBER = {"one": "first", "two": "second", "three": "third", "four": "fourth", "five": "fifth",
          "1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth"}
EMOJI = {"like": "👍❤😍🔥🥰😻💯👏✨💖😂🤣", "dislike": "👎😴🥱💤🤮😒🙄"}
# VADER reads only clauses that judge: a copula or a sense verb ("was gorgeous", "looks dull",
# "felt repetitive"), an emoji, or two words at most; an instruction's tone ("call the third one
# 'Rainbow Dreams'", "put some text on it saying happy birthday") is no verdict
JUDGES = re.compile(r"\b(is|was|are|were|looks?|looked|seems?|seemed|feels?|felt|sounds?|sounded)\b|'s\b")
SENTIMENT = 0.05   # |VADER compound| from which a clause without cue words counts as a verdict (VADER's own neutral bound)
# a clause that asks for something: it is the request, even when it holds "like" ("more like that")
ASKS = re.compile(r"\b(show|find|give|make|create|generate|want|keep|more|another|next|something|anything|play|search|cut|clip (?:it|this|that|the|out)|"
                  r"trim|turn|change|restyle|caption|subtitle)\b")
FILLER = set("so really very quite just too the a an it this that one was is it's its that's this's what oh wow omg "
             "lol haha ugh yeah yes well kinda pretty i am totally super absolutely".split())
POLITE = set("thanks thank you cheers pls please ta thx lol haha nice".split())
UNDO = re.compile(r"^\s*(undo|undo (that|it|this)|take (that|it) back|never ?mind (that|the (like|dislike|rating)))\s*[.!]*\s*$")
CLAUSE = re.compile(r"([,.;!?]+|\s+(?:but|and|then)\s+|\s+-\s+)")
CHANGE = re.compile(r"\b(rewrite|redo|edit|add|remove|fix|brighten|darken|louder|quieter|crop|mute|overlay|put|lop|loop|rename|name)\b")
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


@lru_cache(maxsize=1)
def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:   # the cue words alone still read verdicts
        return None
    return SentimentIntensityAnalyzer()


def _polarity(c: str) -> str | None:
    if NOT_BAD.search(c):
        return "like"
    if NEGATIVE.search(c) or TOO.search(c):
        return "dislike"
    if POSITIVE.search(c):
        return "like"
    for kind, marks in EMOJI.items():
        if any(m in c for m in marks):
            return kind
    sia = _vader()
    words = re.findall(r"[a-z0-9/']+", c)
    if sia is None or not (JUDGES.search(c) or len(words) <= 2) or all(w in FILLER or w in POLITE for w in words):
        return None   # "lol" alone is a laugh, not a rating
    score = sia.polarity_scores(c)["compound"]
    return "like" if score >= SENTIMENT else "dislike" if score <= -SENTIMENT else None


def _content(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text.lower())
            if len(w) > 2 and w not in FILLER and w not in _TITLE_STOP}


_TITLE_STOP = {"and", "with", "for", "the", "from", "into", "out", "over", "one", "video", "clip"}


def _named(c: str, shown: list[str]) -> str | None:
    """The one shown title this clause names: two of its content words, or one of six letters or more."""
    words = _content(c)
    hits = [t for t in shown if len(common := words & _content(t)) >= 2 or any(len(w) >= 6 for w in common)]
    return hits[0] if len(hits) == 1 else None


def _verdict(clause: str, asked: bool = False, shown: list[str] | None = None, whole: str = "") -> Verdict | None:
    """`whole`: the message, whose tone a clause that only points takes ("number two is way too
    loud and chaotic" is cut at "and"), when the message asks nothing."""
    c = re.sub(r"([a-z])\1{2,}", r"\1", clause.strip().lower().replace("’", "'"))   # "cuuute" is "cute"
    if not c or NOT_A_VERDICT.search(c) or asked or QUESTION.match(c):
        return None
    kind, title = _polarity(c), _named(c, shown or [])
    if kind is None and whole and not ASKS.search(whole.lower()) and "?" not in whole and (
            POSITION.match(c) or ORDINAL_ANY.search(c) or title):
        kind = _polarity(whole.lower())
    if kind is None:
        return None
    if ASKS.search(c) and not re.search(r"\bno more (like|of)\b", c):
        return None
    pos = POSITION.match(c)
    if pos:
        word = pos.group(0).removeprefix("the ").split()
        return Verdict(kind, "the " + (NUMBER.get(word[-1], word[-1]) if word[0] == "number" else " ".join(word)), c)
    if title:
        return Verdict(kind, title, c)
    if (o := ORDINAL_ANY.search(c)):
        return Verdict(kind, "the " + o.group(1), c)
    m = POINTER.search(c)
    if m:   # "these"/"those" mean what is on screen, as "this" does
        return Verdict(kind, "this" if m.group(0) in ("these", "those") else m.group(0), c)
    rest = [w for w in re.findall(r"[a-z']+", NEGATIVE.sub(" ", POSITIVE.sub(" ", NOT_BAD.sub(" ", c).replace("at all", " ")))) if w not in FILLER]
    return Verdict(kind, "this", c, bare=True) if not rest else None   # "so boring", "love!", "👍👍": about what is on screen


def _changes(low: str) -> bool:
    """The text asks to edit something or to make something new."""
    return bool(re.search(CREATE, low) or CHANGE.search(low) or any(re.search(p, low) for _, p in EDIT_OPS))


def read(text: str, shown: list[str] | None = None) -> tuple[list[Verdict], str]:
    """The verdicts a message gives, and the rest of it (the request part; "" when it asks nothing).
    `shown`: the titles on screen, so a clause naming one points at it.
    A message that names an edit or a creation is a request, planned whole: a dislike there is why
    to change it ("the title is boring, rewrite it"), while a liking in a clause of its own is a
    verdict too ("love the cockatoo one, can you make it loop?").
    A bare verdict ("meh") beside other words counts when it turns the answer down ("boring, show
    me something funny"), not when it is a nod ("great, now cats"); a shown title named in the
    other words is what it is about."""
    text = (text or "").strip()
    low = " " + text.lower() + " "
    change = _changes(low)
    verdicts, rest = [], []
    parts = CLAUSE.split(text)
    for clause, after in zip(parts[::2], parts[1::2] + [""]):
        if not clause or not clause.strip():
            continue
        v = _verdict(clause, asked="?" in after, shown=shown, whole=text)
        if v and change and (v.kind != "like" or v.bare or _changes(f" {clause.lower()} ")):
            v = None
        if v:
            verdicts.append(v)
        else:
            rest.append(clause.strip())
    if rest:   # "boring, show me something funny" turns the answer down; "great, now cats" is only a nod
        verdicts = [v for v in verdicts if not v.bare or v.kind == "dislike"]
        named = [t for c in rest if not ASKS.search(c.lower()) and (t := _named(c.lower(), shown or []))]
        for v in verdicts:   # "plants on a windowsill... really? yawn": the bare verdict is about the one named
            if v.bare and len(set(named)) == 1:
                v.pointer, v.bare = named[0], False
    if not verdicts:
        return [], text
    if change:
        return verdicts, text
    if any(TOO.search(v.words) for v in verdicts) and any(re.search(r"\b(it|this|them)\b", c.lower()) for c in rest):
        return [], text   # "the explainer is way too long, can you get it under a minute": why to edit it, planned whole
    leftover = ", ".join(rest)
    content = [w for w in re.findall(r"[a-z']+", leftover.lower()) if w not in FILLER and w not in POLITE]
    return verdicts, leftover if content else ""
