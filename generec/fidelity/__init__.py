"""Fidelity (issue 7): one check pipeline for every request and every result.

Every check answers pass, fail (with a reason a person reads) or not_run (held, never a
silent pass). Files, one job each:

    base.py          CheckResult, Report (.allowed, .held, .to_dict), Context (who asks, which backends)
    backends.py      the three models (profanity, presidio+spaCy, open_nsfw), loaded once
    rules.py         hand-written text rules: harmful topics, injection, imitation cues, stereotypes
    privacy.py       find personal data, `redact`, who may read whose data
    request.py       `screen_request(text, ctx)`: safety, privacy, imitation, injection (+ policy)
    semantic.py      the learned request screen (MiniLM layers -> SVM) for what the rules miss
    authenticity.py  facts in narration must come from the sources; no "real footage" for AI items
    licences.py      licence table and the licence an edited/created item inherits
    phash.py         perceptual frame hashes; corpus index against unmodified copies
    result.py        `check_result(...)` before showing, `check_publish(...)` before publishing
    watermark.py     dwtDctSvd maths on one frame (canonical grid, crop search)
    marking.py       watermark files: videos through ffmpeg pipes, covers
    credentials.py   the ES256 chain (self-made CA + leaf) in <data>/keys/, `public_chain()` for verifiers
    provenance.py    C2PA Content Credentials: `seal` embeds them in the mp4 and the cover, `read` checks them
    verify.py        `verify(path)` -> {"watermark", "manifest_valid", "c2pa", "reasons", ...}
    pipeline.py      `finish(...)`: mark, check, sign or discard a video, its cover, or a cover alone --
                     the one sealing path (editors and creators reach it through gate.seal);
                     `sign(...)`, the one signing path
    exposure.py      exposure of AI vs human and popular vs long-tail items in slates
(`generec verify|screen` and `generec bench fidelity` live in `generec.cli` and `generec.bench`.)
"""
from .base import CheckResult, Context, Report
from .pipeline import finish, inherit_licence
from .privacy import redact, visible_to
from .request import screen_request
from .result import check_publish, check_result
from .verify import verify

__all__ = ["CheckResult", "Context", "Report", "screen_request", "check_result", "check_publish", "redact", "visible_to",
           "finish", "inherit_licence", "verify"]
