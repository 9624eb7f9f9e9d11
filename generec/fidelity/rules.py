"""Hand-written text rules: harmful topics, prompt injection, imitation cues, stereotypes.

Each rule is (label, pattern). A label is what a person reads in the refusal, so it names
the topic, not the regex. Patterns look for an *act* next to a *target* ("make a bomb",
"kill myself"), because the words alone are common in benign requests ("kill time",
"shoot a sunset timelapse", "fighting climate change", "photobomb").
"""
from __future__ import annotations

import re

_F = re.IGNORECASE

_MAKE = r"(?:mak|build|assembl|3d[- ]print|craft|construct|cook|brew|synthesi[sz]|manufactur|produc|mix|wir|get|buy|obtain|order)\w*"
_HOWTO = r"(?:how (?:do i |to |can i |you )|steps? (?:to|for)|instructions? (?:to|for|on)|tutorial (?:on|for)|guide (?:to|on)|recipe for|teach me|show me how|ways? to|tips? (?:to|for|on))"
GROUPS = (r"(?:women|woman|girls|men|boys|black (?:people|men|women|guys)|blacks|white (?:people|men|women)|asians?|chinese|japanese|indians|"
           r"mexicans|latinos|hispanics|africans|arabs|muslims|jews|jewish people|christians|hindus|immigrants|refugees|"
           r"gays?|gay (?:people|men)|lesbians|trans (?:people|women|men)|transgender people|old people|the elderly|elderly people|"
           r"disabled people|autistic people|blondes|poor people|fat people|gypsies|roma|irish|italians|russians|germans|french people|"
           r"americans|british people|asian (?:people|drivers|women|men))")

HARMFUL: list[tuple[str, re.Pattern]] = [(label, re.compile(p, _F)) for label, p in [
    ("weapons or explosives instructions",
     rf"\b{_MAKE}\s+(?:[\w'-]+\s+){{0,3}}(?:bombs?|explosives?|pipe ?bombs?|ieds?|napalm|molotovs?|thermite|detonators?|grenades?|"
     rf"ghost guns?|untraceable (?:gun|firearm)s?|silencers?|suppressors?|nerve (?:agent|gas)|sarin|ricin|anthrax|bio ?weapons?|chemical weapons?|poison gas|full[- ]auto)\b"),
    ("poisoning someone", r"\b(?:poison|drug)\s+(?:my|a|the|someone|somebody|his|her|their)\s+\w+"),
    ("violence against people",
     r"\b(?:kill|murder|shoot|stab|attack|bomb|blow up|massacre|behead|torture|kidnap|run over)\s+(?:up\s+)?(?:my|a|the|some|all|those|these|his|her|their)?\s*"
     r"(?:\w+\s+)?(?:school|classmates?|teachers?|boss|wife|husband|girlfriend|boyfriend|neighbou?rs?|people|crowd|church|mosque|synagogue|temple|concert|"
     r"children|kids|students|coworkers?|colleagues|family|police(?:men| officers)?|politicians?|president|jews|muslims|christians|immigrants|someone|somebody|person)\b"),
    # "kill a process", "kill my darlings": the object has to be a person
    ("violence against people", rf"{_HOWTO}[^.?!]{{0,30}}\b(?:kill|murder|hurt|strangle|stab|poison)\s+(?:someone|somebody|people|him|her|them|"
                                r"(?:a|my|his|her|their|the)\s+(?:\w+\s+)?(?:person|man|woman|child|kid|baby|girl|boy|guy|wife|husband|girlfriend|boyfriend|"
                                r"mother|father|mom|mum|dad|parents?|brother|sister|son|daughter|family|neighbou?r|boss|teacher|classmate|coworker|colleague|roommate|ex|stranger|cop))\b"),
    ("glorifying terrorism or mass violence",
     r"\b(?:glorif\w*|celebrat\w*|tribute to|honou?r\w*|hero\w*|recruit\w*|propaganda for|join)\b[^.?!]{0,40}\b(?:terroris\w*|isis|al[- ]?qaeda|jihad\w*|school shoot\w*|mass shoot\w*|"
     r"shooters?|suicide bomb\w*|9/11 hijackers|the unabomber|christchurch shooter|breivik|nazis?|the holocaust)\b"),
    ("self-harm", r"\b(?:kill(?:ing)? myself|end(?:ing)? my life|suicide|self[- ]harm|cut(?:ting)? myself|hurt(?:ing)? myself|starv(?:e|ing) myself|hang(?:ing)? myself|"
                  r"(?:kill|hurt|cut|harm|hang)(?:ing)? (?:your|them|him|her)sel(?:f|ves)|end (?:your|their) (?:own )?li(?:fe|ves))\b"),
    ("self-harm", r"\b(?:pro[- ]?ana|thinspo\w*|meanspo|pro[- ]?mia)\b"),
    ("sexual content involving minors",
     r"\b(?:child|children|kids?|minors?|underage|preteens?|teens?|teenage|teenagers?|schoolgirls?|schoolboys?|little girls?|little boys?|\d{1,2}[- ]year[- ]olds?)\b[^.?!]{0,40}"
     r"\b(?:nude|naked|sexy|sexual\w*|porn\w*|erotic|lingerie|undress\w*|seductive\w*|topless)\b"),
    ("sexual content involving minors",
     r"\b(?:nude|naked|sexy|sexual\w*|porn\w*|erotic|lingerie|undress\w*|seductive\w*|topless)\b[^.?!]{0,40}\b(?:child|children|kids?|minors?|underage|preteens?|teens?|teenage|teenagers?|schoolgirls?|schoolboys?|little girls?|little boys?|\d{1,2}[- ]year[- ]olds?)\b"),
    ("sexually explicit content",
     r"\b(?:porn\w*|nude|nudes|naked|nsfw|xxx|hardcore|sex tape|sex scene|explicit sex\w*|striptease|stripping|topless|onlyfans|hentai|genitals?|blowjob|orgy)\b"),
    ("making illegal drugs", rf"\b{_MAKE}\s+(?:[\w'-]+\s+){{0,3}}(?:meth|methamphetamine|crystal meth|fentanyl|heroin|crack cocaine|cocaine|lsd|mdma|ecstasy|ghb|dmt)\b"),
    ("hate against a group of people",
     rf"\b{GROUPS}\b[^.?!]{{0,30}}\b(?:are|is|were)\s+(?:\w+\s+)?(?:vermin|subhuman|animals|parasites|cockroaches|rats|a disease|inferior|evil|scum|filth|savages|the enemy|ruining|destroying|invading|taking over)\b"),
    ("hate against a group of people",
     rf"\b(?:exterminate|eradicate|deport all|get rid of|kill all|gas the|ban all|wipe out|cleanse)\b[^.?!]{{0,20}}\b{GROUPS}\b"),
    ("hate against a group of people", r"\b(?:white power|white genocide|great replacement|race war|ethnic cleansing is|heil hitler|sieg heil|1488|14 words)\b"),
    ("harassment of a person",
     r"\b(?:humiliate|bully|harass|threaten|intimidate|shame|expose|doxx?|stalk|blackmail|mock|make fun of|roast|insult|ridicule|cyberbully)\w*\s+"
     r"(?:my|our|this|that|a|the)?\s*(?:\w+\s+)?(?:classmate|coworker|co-worker|colleague|neighbou?r|ex|ex-\w+|teacher|boss|sister|brother|cousin|roommate|girl|boy|kid|student|landlord|him|her|them)\b"),
    ("revenge or non-consensual imagery", r"\b(?:revenge porn|leak(?:ed)?\s+(?:her|his|their|my ex'?s?)\s+(?:nudes|photos|pics)|hidden camera|upskirt|creepshot)\b"),
    ("fraud or scams", r"\b(?:phishing|scam|fake (?:charity|giveaway|lottery|invoice|id|passport|doctor'?s? note|reviews?)|ponzi|pump and dump|counterfeit (?:money|bills|cash))\b"
                       ),
    ("cruelty to animals", r"\b(?:tortur|abus|kill|hurt|kick|drown|burn|poison|beat|stab|starv)\w*\s+(?:a|the|my|some|stray|little)?\s*(?:cats?|kittens?|dogs?|puppies|puppy|animals?|birds?|hamsters?|rabbits?|horses?)\b"),
    ("graphic violence or gore", r"\b(?:gore|gory|beheading|decapitat\w*|dismember\w*|disembowel\w*|execution videos?|snuff|real (?:deaths?|murders?|killings?)|mutilat\w*|torture porn)\b"),
    ("dangerous challenges", r"\b(?:tide pod challenge|blackout challenge|choking challenge|skull breaker challenge|benadryl challenge|fire challenge|drink bleach|eat(?:ing)? tide pods)\b"),
    ("extremist symbols or propaganda", r"\b(?:swastikas?|isis flag|nazi (?:propaganda|salute|rally video)|kkk (?:rally|recruitment))\b"),
]]

INJECTION: list[tuple[str, re.Pattern]] = [(label, re.compile(p, _F)) for label, p in [
    ("an attempt to override instructions",
     r"\b(?:ignore|disregard|forget|override|bypass|skip|drop)\b[^.?!]{0,25}\b(?:instructions?|rules|prompts?|guidelines|polic(?:y|ies)|restrictions|guardrails|system message|programming|directives|everything above|above text)\b"),
    ("an attempt to change the assistant's role",
     r"\b(?:you are now|from now on you are|pretend (?:you are|to be) (?:an? )?(?:unfiltered|uncensored|evil|jailbroken|different)|act as (?:an? )?(?:unfiltered|uncensored|jailbroken|admin|root|developer|system)|"
     r"developer mode|dan mode|jailbreak\w*|do anything now|god mode|sudo mode|admin mode)\b"),
    ("a request for hidden instructions or secrets",
     r"\b(?:reveal|show|print|repeat|output|tell me|leak|dump|display|give me)\b[^.?!]{0,25}\b(?:system prompt|your prompt|initial prompt|hidden (?:prompt|instructions)|your instructions|"
     r"api[_ ]?keys?|secret keys?|signing key|provenance key|passwords?|credentials|tokens?|env(?:ironment)? var\w*|\.env|config(?:uration)? file|database)\b"),
    ("a path outside the app's files", r"(?:\.\./|\.\.\\|/etc/(?:passwd|shadow|hosts)|~/\.ssh|/root/|/proc/self|c:\\windows|\bid_rsa\b|file:///)"),
    ("code or commands in the request",
     r"(?:\brm\s+-rf\b|;\s*drop\s+table\b|\bunion\s+select\b|<script\b|\bos\.system\b|__import__|\bsubprocess\.|\beval\(|\bexec\(|\$\{[^}]*\}|\{\{[^}]*\}\}|`[^`]*(?:curl|wget|bash|sh)\b[^`]*`|\bcurl\s+https?://|\bwget\s+https?://)"),
    ("an attempt to switch off a safety feature",
     r"\b(?:disable|turn off|switch off|remove|strip|skip|bypass|without|no)\b[^.?!]{0,20}\b(?:safety|filters?|moderation|content checks?|checks|watermarks?|provenance|ai[- ]generated (?:label|badge|tag)|badge|disclaimer)\b"),
    ("an attempt to pass AI-made media off as real",
     r"\b(?:label|mark|tag|present|pass|publish|describe)\b[^.?!]{0,25}\b(?:as|like)\s+(?:real|genuine|authentic|human[- ]made|unedited|actual) (?:footage|video|recording|clip)\b"),
    ("a request for another user's data",
     r"\b(?:show|give|list|tell|read|export|download|dump|send|fetch|get|access|open|what (?:has|did|does|is))\b[^.?!]{0,30}\b(?:other users?'?s?|another user'?s?|every(?:one|body)'?s?|all users'?|(?:user|account|profile)\s+\w+'?s?)\b"
     r"[^.?!]{0,30}\b(?:history|histories|profiles?|data|likes|liked|watch(?:ed|ing| list| history)?|preferences|private (?:videos|items)|uploads|emails?|passwords?|searches|activity|playlists?)\b"),
    ("a request for another user's data",
     r"\b(?:user|account)\s*(?:id\s*)?#?\d+\b[^.?!]{0,30}\b(?:history|profile|data|likes|watch\w*|preferences|private)\b"),
    ("a request for another user's data",
     r"\b(?:log ?in|sign in|switch|impersonate|act)\s+(?:as|to)\s+(?:user|account|another user|admin|\w+'s account)\b"),
]]

# Voice or likeness of a real person: a cue word near a name (the name comes from NER or
# a capitalised pair; see request.py). "in the style of" alone is allowed (style is not identity).
IMITATION_CUES = re.compile(
    r"\b(?:voice|voices|sounds?|sounding|speaks?|speaking|narrated by|narration by|narrate(?:d)? (?:it |this )?(?:as|like|in)|read by|face|faces|likeness|lookalike|look-alike|looks? like|"
    r"deep ?fakes?|face ?swap\w*|voice ?clon\w*|clone|cloning|impersonat\w*|imitat\w*|mimic\w*|pretend(?:ing)? to be|posing as|as if (?:it were|he were|she were|they were)|"
    r"endors\w*|saying|says?|said|singing|sings?|cameo)\b", _F)
IMITATION_ALWAYS = re.compile(r"\b(?:deep ?fakes?|face ?swap\w*|swap\w*\b[^.?!]{0,30}\bfaces?|faces?\b[^.?!]{0,30}\bswap\w*|voice ?clon\w*|clone (?:the |a )?voice|cloned voice|synthetic voice of|ai voice of)\b", _F)
NOT_A_PERSON_VOICE = re.compile(
    r"\b(?:my own|a calm|a deep|a soft|a warm|a friendly|a robot(?:ic)?|a cartoon|a pirate|a narrator|an? (?:old|young|british|american|female|male|generic)|the narrator|movie[- ]trailer|"
    r"documentary[- ]style|news[- ]anchor[- ]style|sports[- ]commentator[- ]style)\s+(?:voice|narrat\w*|tone)\b", _F)

STEREOTYPE: list[tuple[str, re.Pattern]] = [(label, re.compile(p, _F)) for label, p in [
    ("a generalisation about a group",
     rf"\b(?:all|most|every|typical|those|these|the)\s+{GROUPS}\s+(?:are|is|can'?t|cannot|always|never|just|only|love|hate|steal|lie|smell|want)\b"),
    ("a generalisation about a group",
     rf"\b{GROUPS}\s+(?:are|is)\s+(?:all\s+|always\s+|naturally\s+|inherently\s+|genetically\s+|just\s+|so\s+|too\s+)?"
     r"(?:lazy|stupid|dumb|greedy|violent|criminals?|terrible|bad|worse|better|superior|inferior|dirty|cheap|emotional|hysterical|weak|untrustworthy|dishonest|good at math|bad at math|bad drivers|terrorists|thieves)\b"),
    ("a generalisation about a group", rf"\b{GROUPS}\s+(?:can'?t|cannot|don'?t know how to|never)\s+(?:drive|cook|lead|code|do math|be trusted|work|think)\b"),
    ("a generalisation about a group", rf"\b(?:like a typical|such a typical|typical)\s+{GROUPS}\b"),
    ("a generalisation about a group", rf"\b(?:because|since) (?:she|he|they)(?:'s| is| are)\s+(?:an? )?{GROUPS}\b"),
]]

REAL_FOOTAGE = re.compile(
    r"\b(?:real|actual|authentic|genuine|unedited|unaltered|raw|archival|archive|leaked|eyewitness)\s+(?:footage|video|recording|clip|film)\b"
    r"|\bcaught on (?:camera|tape|film)\b|\bfilmed (?:live|on location|at the scene|in real life)\b|\bthis (?:really|actually) happened\b"
    r"|\bnot (?:ai|ai-made|fake|staged|cgi|generated)\b|\b100 ?% real\b",
    _F)


# Idioms that contain a harmful-looking word but are not about harm; cut out before matching.
BENIGN_IDIOMS = re.compile(
    r"\bkill(?:ing)? (?:time|it|the (?:lights|engine|music))\b|\bkiller (?:workout|app|feature|deal|view|look|smile|beat|track|recipe)s?\b"
    r"|\b(?:bath|seed|photo|glitter|flavou?r|cocoa|hot chocolate|chocolate|confetti|colou?r|smoke|stink|water|cheese) ?bombs?\b|\bphotobomb\w*|\bbomb[- ]sniffing\b"
    r"|\bbombs?\s+(?:\w+\s+)?(?:cakes?|desserts?|recipes?|burgers?|sandwich(?:es)?|dish(?:es)?|looks?|outfits?|beats?|tracks?|songs?|playlists?|intros?)\b"
    r"|\b(?:dummy|prop|toy|replica|cardboard|foam|papier[- ]m[aâ]ch[eé]) (?:bombs?|grenades?|guns?|rifles?|swords?|knives)\b|\bda bomb\b|\bexplosive (?:transitions?|growth|flavou?rs?|energy|intro|start|finale|colou?rs?|beats?|performance|action)\b"
    r"|\bshoot(?:ing)? (?:a |the |some |better )?(?:photos?|pictures?|video|footage|timelapse|time-lapse|sunset|scene|film|movie|hoops|the breeze)\b|\bshooting stars?\b|\bphoto ?shoot\b"
    r"|\bfight(?:ing)? (?:climate change|cancer|poverty|hunger|fires?|wildfires?|crime|disease|for)\b|\bcut(?:ting)? (?:onions|the (?:video|clip|first|last|intro)|hair)\b"
    r"|\bexecute (?:a|the|my) (?:perfect )?(?:plan|kickflip|trick|move|jump)\b|\bdrop (?:the )?beat\b"
    r"|\b(?:not (?:too |very |that |overly |at all )?|non-?|no |nothing |without (?:any )?|less )(?:gory|gore|graphic|bloody)\b",   # "scary but not too gory"
    _F)
# Words that mark a request as protective or educational: fraud, self-harm, challenge and drug
# rules do not fire on "how to spot phishing" or "suicide prevention".
PROTECTIVE = re.compile(r"\b(?:awareness|prevention|preventing|warning signs?|how to (?:spot|avoid|recogni[sz]e|report|protect|stay safe|help)|"
                        r"(?:spotting|recogni[sz]ing|avoiding|reporting) (?:a |the )?\w*|(?:staff|employee|security) training|lifelines?|crisis (?:text )?lines?|"
                        r"wellbeing|mental health (?:week|day|month|support|services?)|therapists?|psychologists?|counsel+ors?|"
                        r"(?:spot|avoid|recogni[sz]e|report) (?:a |the )?\w*|protect (?:yourself|your|kids|children|people|themselves|ourselves|myself)|hotline|helpline|stay safe|safety|dangers of|"
                        r"what to do if|support (?:numbers?|lines?|groups?|services?)|where to (?:find|get) (?:help|support)|grief|bereave\w*)\b", _F)
_PROTECTIVE_OK = {"fraud or scams", "self-harm", "dangerous challenges", "making illegal drugs"}
# Explaining how a fraud works or ends is not committing one ("how Ponzi schemes collapse").
_HISTORY = re.compile(r"\bhistory of\b|\b(?:falls?|fell|falling) for\b|\bvictims? of\b|\bphishing (?:simulations?|tests?|drills?)\b|\bsimulat\w* (?:\w+ ){0,4}phishing\b|\bhow (?:\w+ ){0,3}(?:collapsed?|fail(?:ed|s)?|(?:are|were|get|got) (?:caught|detected|stopped))\b", _F)
# ... unless the request is to lure someone into one ("an email that tricks a user into falling for a scam")
_LURE = re.compile(r"\b(?:trick|lure|fool|con|convinc|persuad|manipulat)\w*\b[^.?!]{0,30}\binto\b", _F)
# Learning about deepfakes and voice clones is not asking for one ("how to spot deepfake scams").
AWARENESS = re.compile(r"\b(?:spot|detect\w*|recogni[sz]\w*|identify|protect\w*|avoid|risks?|risky|dangers?|dangerous|ethics|laws? (?:on|against|about)|"
                       r"history of|how (?:\w+ ){0,2}(?:works?|are (?:made|detected|spotted))|what (?:is|are) (?:a |an )?(?:deep ?fakes?|voice clon\w*))\b", _F)


def find(rules: list[tuple[str, re.Pattern]], text: str) -> list[tuple[str, str]]:
    """(label, matched text) for every rule that fires, one hit per label."""
    clean = BENIGN_IDIOMS.sub(" ", text)
    protective = bool(PROTECTIVE.search(text))
    hits, seen = [], set()
    for label, pat in rules:
        if label in seen or (protective and label in _PROTECTIVE_OK) or (label == "fraud or scams" and _HISTORY.search(text) and not _LURE.search(text)):
            continue
        m = pat.search(clean)
        if m:
            seen.add(label)
            hits.append((label, m.group(0).strip()))
    return hits
