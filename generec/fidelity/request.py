"""Screening a request before any work starts: safety, privacy, imitation, injection.

Policy (what blocks, what only gets noted):
- safety: harmful-topic rules (weapons, violence, self-harm, sexual content, minors, drugs,
  hate, harassment, fraud, cruelty, gore) and group stereotypes block. The profanity model
  blocks abuse *aimed at someone* (score >= threshold and a person or group is targeted);
  casual swearing ("crap, show me another") is noted, not refused.
- privacy: contact identifiers (e-mail, phone, address, card/bank/national ids, IP) block when
  the request asks to put them in the output (show, add, caption, say...) or they belong to a
  third party ("his number", "my neighbour's address"). A user's own details with no such
  intent pass, with what was found listed: they are never stored (`redact`). A person's name
  next to a private-life cue ("where my ex lives", "find her address") blocks. Names alone
  (public figures, "a birthday video for Linda") pass and are redacted from stored copies.
- imitation: a real person's voice or likeness (a PERSON found by NER next to "voice of",
  "narrated by", "make X say", "lookalike"...), and deepfakes / face swaps / voice clones,
  block. "In the style of <director>" passes: a style is not a person's identity.
- injection: instruction overrides, role changes, secret/prompt extraction, paths outside the
  app (../../etc/passwd), code, switching off safety or the watermark, passing AI media off as
  real, and any request for another user's data (including names in `ctx.other_users`).
- learned screen (`semantic.py`): when every rule passes, a classifier trained on
  assets/fidelity/policy_train.jsonl judges the request by meaning; if it says harmful, the
  check of its category fails ("this looks like a request for weapon-making instructions").
  Copyright is judged under injection (misuse of the app), misinformation under safety.
  Rules still decide first: their reasons name the exact words.
- Exceptions the rules make: learning about a harm is not asking for it ("how to spot deepfake
  scams", "how Ponzi schemes collapse", "what to do if someone is stalking you"), and a user's
  own business e-mail, phone or address may go into their own video.
A check whose model is missing reports not_run unless its rules already found a failure.
"""
from __future__ import annotations

import re

from .base import CheckResult, Context, Report, Unavailable
from .privacy import CONTACT, PII, find_pii
from .rules import AWARENESS, GROUPS, HARMFUL, IMITATION_ALWAYS, INJECTION, NOT_A_PERSON_VOICE, PROTECTIVE, STEREOTYPE, find

MAX_CHARS = 2000
_I = re.IGNORECASE
_TARGETED = re.compile(
    r"\b(?:you|your|him|her|them|my|his|their|this|that|those|these)\s+(?:\w+\s+)?(?:teacher|boss|friend|neighbou?r|sister|brother|wife|husband|ex|classmate|"
    r"coworker|colleague|kid|mom|mum|dad|mother|father|guy|girl|woman|man|people|person|family|roommate|landlord|team|fans)\b"
    rf"|\bcall(?:ing)?\s+(?:him|her|them|my|\w+)\s+an?\b|\b(?:insult|roast|mock|humiliate|trash[- ]talk|diss)\w*|\b{GROUPS}\b|\byou\b", _I)
_OUTPUT = re.compile(r"\b(?:show|showing|display|put|include|add|write|overlay|caption|say|saying|read out|mention|print|feature|embed|type|flash|spell|"
                     r"list|post|share|publish|broadcast|narrate|subtitle|shout|on screen|in the (?:video|clip|intro|outro|credits|description|title))\b", _I)
_THIRD = re.compile(r"\b(?:his|her|their|someone'?s?|somebody'?s?|neighbou?r'?s?|ex'?s?|ex-\w+|coworker'?s?|co-worker'?s?|colleague'?s?|classmate'?s?|"
                    r"boss'?s?|teacher'?s?|landlord'?s?|roommate'?s?|stranger'?s?|friend'?s|mom'?s|mum'?s|dad'?s|sister'?s|brother'?s|he|she|they|who lives|"
                    r"(?:the|this|that|a) (?:driver|guy|girl|woman|man|person|lady|kid|streamer|stranger|user|owner|customer|player|family))\b", _I)
_PRIVATE_CUE = re.compile(
    r"\bwhere\b[^.?!]{0,25}\b(?:lives?|living|stays?|works?|sleeps?|goes to school)\b|\blives (?:at|in|on|near)\b|\bhome address\b|\baddress of\b|\b(?:phone|mobile|cell|contact|home) number of\b|"
    r"\breal name of\b|\bidentity of\b|\bdox+\w*|\btrack(?:ing)? (?:down|her|him|them)\b|\bstalk\w*|\bfind out who\b|\bfind (?:her|his|their|the) (?:address|number|house|home)\b|"
    r"\bspy(?:ing)? on\b|\blocate (?:her|him|them|my)\b|\bexpose\w* (?:her|him|them)\b|\bsecretly (?:film|record)\w*", _I)
# Always a privacy violation, whoever the target is.
_SURVEIL = re.compile(r"\bdox+\w*|\bstalk\w*|\btrack(?:s|ing)? (?:down|her|him|them)\b|\bspy(?:ing)? on\b|\bsecretly (?:film|record|photograph)\w*|"
                      r"\bhidden camera\b|\bfind out (?:where|who)\b[^.?!]{0,30}\b(?:lives?|is)\b", _I)
# Identifiers named in words ("her passport number"): they need no digits to be a problem.
_ID_WORDS = re.compile(r"\b(?:passport|social security|ssn|national insurance|bank (?:details|account)|credit card|card number|pin|password|"
                       r"date of birth|birthday and address|home address|(?:phone|mobile|cell) number|e-?mail address|licen[cs]e plate|medical records?)\b", _I)
# The user's own (business) contact details, put on purpose into their own video.
_OWN = re.compile(r"\b(?:my|our)\s+(?:own\s+)?(?:(?:business|work|shop|store|company|office|studio|salon|bakery|restaurant|cafe|band|channel|brand|agency)(?:'s)?\s+)?"
                  r"(?:contact\s+)?(?:e-?mail(?: address)?|phone(?: number)?|mobile|number|website|contact details)\b|\bmy (?:number|e-?mail) is\b", _I)


def _own_contact(text: str, kinds) -> bool:
    return bool(_OWN.search(text)) and not _THIRD.search(text) and set(kinds) <= {"EMAIL", "PHONE", "ADDRESS"}


def _id_kind(words: str) -> str:
    w = words.lower()
    return "PHONE" if re.search(r"phone|mobile|cell", w) else "EMAIL" if "mail" in w else "ADDRESS" if w == "home address" else "ID"


# Strong cues (voice, face, narrated by, make X say): any capitalised name counts as a person.
_IMITATE = [re.compile(p, _I) for p in (
    r"PERSONX(?:'s|s')\s+(?:own\s+|real\s+|exact\s+|famous\s+)?(?:voice|face|likeness|accent|singing voice|mannerisms|body)",
    r"\b(?:voice|face|likeness|accent|identity) of PERSONX",
    r"\b(?:sounds?|sounding|looks?|looking|speaks?|talks?|sings?)\s+(?:exactly |just |a lot |really )?like PERSONX",
    r"\b(?:narrated|read|voiced|sung|performed|presented|hosted|introduced|spoken)\s+(?:out\s+)?by PERSONX",
    r"\b(?:narrate|read|voice|present|host|say|sing|speak)\w*\s+(?:it|this|the \w+)?\s*(?:as|like) PERSONX",
    r"\b(?:make|have|let|get)\s+PERSONX\s+(?:say|sing|announce|endorse|promote|confess|admit|declare|speak|talk|tell|read|narrate|recommend|dance|appear)",
    r"\b(?:impersonat|imitat|mimic|pretend\w* to be|pos\w* as|lookalike|look-alike|double of|cameo (?:by|from|of))\w*\s+(?:\w+\s+){0,2}PERSONX",
    r"PERSONX\s+(?:lookalike|look-alike|impersonator|double|clone|avatar)",
    r"\bas (?:if|though)\s+PERSONX\s+(?:was|were|is)",
)]
# Weak cues ("X wishing my sister...", "a fake video of X"): only a name NER calls a person,
# or two+ capitalised words that NER does not call a place ("the Eiffel Tower sparkling for my...").
_IMITATE_WEAK = [re.compile(p, _I) for p in (
    r"PERSONX\s+(?:is\s+|was\s+)?(?:endors|promot|recommend|advertis|sponsor|announc|confess|admit|says|tells|support|prais|\w+ing\b)\w*\b[^.?!]{0,40}\b(?:my|our|me|us|viewers|fans|everyone)\b",
    r"\b(?:fake|fabricated|made[- ]up|ai[- ]generated|generated|synthetic)\s+(?:video|clip|recording|audio|photo|speech|interview|news|footage|reel)\s+(?:of|with|where|in which)\s+PERSONX",
    r"\b(?:voice ?-?over|narrat\w*|narrator|voice|singer|presenter|host|speaker)\s+(?:should be|will be|must be|is|=|:)\s+PERSONX",
)]
# spaCy's small model misses many famous names ("Morgan Freeman's voice"), so capitalised
# words stand in as names too; the imitation patterns around them are specific enough.
_NAME_FALLBACK = re.compile(r"\b[A-Z][^\W\d_]+(?:[ -](?:de |van |von |da |di |del |la |le )?(?:[A-Z]\.|[A-Z][^\W\d_]+))*")
_NOT_NAMES = {"make", "narrate", "use", "create", "put", "show", "have", "let", "get", "generate", "add", "can", "could", "please", "i", "a", "an",
              "the", "clone", "swap", "impersonate", "pretend", "face", "voice", "ai", "video", "my", "our", "in", "with", "want", "need", "do",
              "give", "render", "edit", "write", "film", "record", "tell", "ask", "hey", "hi", "ok", "now", "then", "also", "just", "so"}


def _name_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _NAME_FALLBACK.finditer(text):
        start, words = m.start(), m.group(0).split(" ")
        while words and words[0].lower() in _NOT_NAMES:
            start += len(words.pop(0)) + 1
        if words:
            spans.append((start, m.end()))
    return spans


def _safety(text: str, ctx: Context) -> CheckResult:
    hits = find(HARMFUL, text) + find(STEREOTYPE, text)
    if hits:
        return CheckResult.failed("safety", f"asks for {hits[0][0]} ({hits[0][1]!r})", rules=[h[0] for h in hits])
    from .backends import profanity_probs

    try:
        prob = profanity_probs([text], ctx)[0]
    except Unavailable as exc:
        return CheckResult.not_run("safety", f"harmful-topic rules passed, but the abuse classifier could not run: {exc}")
    if prob >= ctx.profanity_threshold and _TARGETED.search(text):
        return CheckResult.failed("safety", "abusive language aimed at a person or group", profanity=round(prob, 3))
    note = "casual profanity; it is not carried into the result" if prob >= ctx.profanity_threshold else ""
    return CheckResult.passed("safety", note or "no harmful topic or abuse found", profanity=round(prob, 3))


def _privacy(text: str, ctx: Context, found, why_not) -> CheckResult:
    found = [f for f in found if f.kind in PII]
    kinds = sorted({f.kind for f in found})
    contact = [k for k in kinds if k in CONTACT]
    persons = [f.text for f in found if f.kind == "PERSON"]
    summary = {k: sum(1 for f in found if f.kind == k) for k in kinds}
    what = ", ".join(k.lower().replace("_", " ") for k in contact)
    own = _own_contact(text, contact)
    if contact and _OUTPUT.search(text) and not own:
        return CheckResult.failed("privacy", f"asks to put personal data ({what}) into the result; contact details are never written into videos", found=summary)
    if contact and _THIRD.search(text):
        return CheckResult.failed("privacy", f"carries someone else's personal data ({what})", found=summary)
    surveil = _SURVEIL.search(text)
    if surveil and not PROTECTIVE.search(text):   # "how doxxing works so people can protect themselves"
        return CheckResult.failed("privacy", f"asks to track, expose or secretly record a person ({surveil.group(0)!r})", found=summary)
    ids = _ID_WORDS.search(text)
    if ids and (_OUTPUT.search(text) or _THIRD.search(text)) and not _own_contact(text, [_id_kind(ids.group(0))]) and \
            not re.search(r"\bhow to (?:protect|keep|secure|hide)\b", text, _I):
        return CheckResult.failed("privacy", f"asks to put someone's {ids.group(0)} into the result", found=summary)
    cue = _PRIVATE_CUE.search(text)
    if cue and (persons or _THIRD.search(text) or re.search(r"\bmy (?:ex|neighbou?r|coworker|colleague|classmate|boss|teacher|landlord|roommate)\b", text, _I)):
        return CheckResult.failed("privacy", f"asks about a private person's life or whereabouts ({cue.group(0)!r})", found=summary)
    if why_not:
        return CheckResult.not_run("privacy", f"contact-data rules passed, but name detection could not run: {why_not}", found=summary)
    if own:
        return CheckResult.passed("privacy", "your own contact details, put in your own video on purpose; they are removed from anything stored", found=summary)
    if found:
        return CheckResult.passed("privacy", f"personal data noted ({', '.join(k.lower() for k in kinds)}); it is removed from anything stored", found=summary)
    return CheckResult.passed("privacy", "no personal data found")


_PLACE_WORDS = re.compile(r"\b(?:Tower|Bridge|Mount|Mt|Lake|River|Street|Park|City|Island|Bay|Beach|Valley|Falls|Canyon|Palace|Castle|Cathedral|Church|Square|Museum|"
                          r"Station|Airport|Hotel|Restaurant|Cafe|Café|Mountains?|Ocean|Sea|Sunset|Sunrise|Day|Night|Christmas|Easter|Santa|Claus)\b")
_OFFICE = re.compile(r"\bthe (?:pope|president|prime minister|king|queen|chancellor|dalai lama|crown prince)\b(?: of [A-Z]\w+)?", _I)
_FAMILY = re.compile(r"\b(?:my|our)\s+(?:\w+\s+)?(?:grandma|grandpa|granny|nan|mom|mum|dad|mother|father|son|daughter|kids?|baby|wife|husband|sister|brother|aunt|uncle|cousin|friend|partner|dog|cat)\s+$", _I)


def _mark(text: str, spans) -> str:
    marked = text
    for s, e in sorted(spans, reverse=True):
        marked = marked[:s] + "PERSONX" + marked[e:]
    return re.sub(r"PERSONX’s", "PERSONX's", marked)


def _imitation(text: str, found, why_not) -> CheckResult:
    m = IMITATION_ALWAYS.search(text)
    about = m and AWARENESS.search(text) and not re.match(r"\s+(?:videos?\s+|clips?\s+)?(?:of|with|featuring|starring)\b", text[m.end():], _I)
    if m and not about:
        return CheckResult.failed("imitation", f"asks for a deepfake or cloned voice ({m.group(0)!r})")
    ner = [(f.start, f.end) for f in found if f.kind == "PERSON"]
    places = [(f.start, f.end) for f in found if f.kind == "LOCATION"]
    overlaps = lambda s, e, spans: any(s < e2 and s2 < e for s2, e2 in spans)  # noqa: E731
    ner = [(s, e) for s, e in ner if not _FAMILY.search(text[:s])]  # "my grandma Rosa": the user's own circle
    # "impersonators in Las Vegas": a place after in/at/from is not a person ("in Morgan Freeman's voice" is: spaCy calls it a place)
    at_place = lambda s, e: overlaps(s, e, places) and re.search(r"\b(?:in|at|from|near|around|across)\s+$", text[:s], _I) and not text[e:].startswith(("'s", "’s"))  # noqa: E731
    guessed = [(s, e) for s, e in _name_spans(text) if not overlaps(s, e, ner) and not at_place(s, e) and not _FAMILY.search(text[:s])]
    solid = [(s, e) for s, e in guessed if " " in text[s:e] and not overlaps(s, e, places) and not _PLACE_WORDS.search(text[s:e])
             and not re.search(r"\bthe\s+$", text[:s], _I)]
    solid += [m.span() for m in _OFFICE.finditer(text)]
    hit = next((p for p in _IMITATE if p.search(_mark(text, ner + guessed))), None) or \
        next((p for p in _IMITATE_WEAK if p.search(_mark(text, ner + solid))), None)
    if hit and not NOT_A_PERSON_VOICE.search(text):
        names = [text[s:e] for s, e in sorted(ner + guessed)]
        return CheckResult.failed("imitation", "asks to imitate a real person's voice or likeness" + (f" ({', '.join(names[:2])})" if names else ""))
    if why_not:
        return CheckResult.not_run("imitation", f"no imitation cue next to a capitalised name, but name detection could not run: {why_not}")
    return CheckResult.passed("imitation", "no real person's voice or likeness requested")


def _injection(text: str, ctx: Context) -> CheckResult:
    hits = find(INJECTION, text)
    if hits:
        return CheckResult.failed("injection", f"contains {hits[0][0]} ({hits[0][1][:60]!r})", rules=[h[0] for h in hits])
    for other in ctx.other_users:
        if other != ctx.user and re.search(rf"\b{re.escape(other)}\b", text, _I) and re.search(
                r"\b(?:history|profile|likes|liked|watch\w*|preferences|private|uploads|data|searches|activity|playlists?)\b", text, _I):
            return CheckResult.failed("injection", f"asks for another user's data ({other})")
    if len(text) > MAX_CHARS:
        return CheckResult.failed("injection", f"request longer than {MAX_CHARS} characters; send a shorter one")
    return CheckResult.passed("injection", "no instruction override, secret, path or other user's data requested")


def screen_request(text: str, ctx: Context) -> Report:
    """The request checks; `Report.allowed` False means refuse with `Report.summary()`.

    Layers, each deciding only what the one before leaves open: the rules (their reasons name
    the exact words); the learned screen, which clears requests it scores far below its threshold
    (`semantic.CLEAR`: most ordinary requests, in milliseconds) and refuses those it scores far
    above it (`semantic.STANDS`, closer in a severe category); and the LLM policy judge, which
    rules on the rest. When the judge cannot rule, the learned verdict stands, and a request near
    the threshold in a severe category is refused (fails closed). `Report.decided_by` names the
    layer whose verdict stood."""
    text = text or ""
    found, why_not = find_pii(text, ctx)
    checks = [_safety(text, ctx), _privacy(text, ctx, found, why_not), _imitation(text, found, why_not), _injection(text, ctx)]
    if any(c.status == "fail" for c in checks):
        return Report(checks, "request", "rules")
    from .semantic import fold_in, judge

    learned, decided = judge(text, ctx), "learned"
    if learned.status == "not_run":
        decided = "rules"
    elif not (learned.details.get("clear") or learned.details.get("stands")):
        learned, decided = _ask_judge(text, ctx, learned)
    return Report(fold_in(checks, learned), "request", decided)


def _ask_judge(text: str, ctx: Context, learned: CheckResult) -> tuple[CheckResult, str]:
    """The policy judge's ruling as the learned check, or the learned verdict (failing closed
    for a severe category near the threshold) when the judge cannot rule."""
    from . import judge as policy
    from .semantic import CATEGORIES, SEVERE

    nearest = learned.details["nearest"]
    v = policy.verdict(text, ctx, nearest)
    facts = {k: learned.details[k] for k in ("score", "threshold", "nearest")}
    ruled = {k: v.details.get(k) for k in ("harmful", "category", "log_odds", "judge_threshold")}
    if v.status == "fail":
        check, what = CATEGORIES[nearest]
        return CheckResult.failed("learned", f"the policy judge ruled it {what} ({v.reason})", check=check, layer="judge",
                                  judge_s=v.details.get("seconds"), **ruled, **facts), "judge"
    if v.status == "pass":
        return CheckResult.passed("learned", v.reason, layer="judge", judge_s=v.details.get("seconds"),
                                  **ruled, **facts), "judge"
    if learned.status == "pass" and nearest in SEVERE and learned.details.get("unsure"):   # fail closed
        check, what = CATEGORIES[nearest]
        return CheckResult.failed("learned", f"this may be {what}, and the policy judge could not rule ({v.reason}), so it is refused",
                                  category=nearest, check=check, layer="learned", **facts), "learned"
    said = f"the policy judge could not rule ({v.reason}), so the learned screen's verdict stands"   # never a silent fallback
    return CheckResult(learned.name, learned.status, f"{learned.reason}; {said}" if learned.reason else said,
                       dict(learned.details, judge=v.reason)), "learned"
