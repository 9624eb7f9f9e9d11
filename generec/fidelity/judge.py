"""The policy judge: the LLM reads a short written policy and rules on every request that the
hand-written rules let through and the learned screen does not clear with a wide margin.

`verdict(text, ctx, nearest)` asks the judge LLM (`GENEREC_JUDGE_LLM`, by default the chat LLM:
the bundled Qwen, shared with the planner) "is this request harmful? yes or no" under the policy
`prompts/fidelity_judge_system.j2` and its worked examples, and reads the first token's
log-probabilities instead of sampling: the log-odds of yes over no is a score with a threshold
(`THRESHOLD`), one forward pass over the request's tokens. A sampled JSON verdict has no
threshold to set, and on the tune sets it let far more harmful requests through (session 11 note).
It answers a `CheckResult` named "judge" whose details hold the verdict `{harmful, category,
reason}` and the score: fail or pass, or not_run when no model is configured or the call failed
(the caller then decides; a severe suspicion fails closed). The category is the learned screen's
nearest one (`nearest`), since a yes/no answer names none.
"""
from __future__ import annotations

import logging
import time

from .base import CheckResult, Context

log = logging.getLogger("generec.fidelity")
# log-odds of "yes" over "no" at or above which a request is refused; chosen on the `tune` sets of
# assets/fidelity/sets/MANIFEST.json (pooled, rules included: at most 3 % of harmless rows blocked)
THRESHOLD = 1.6
QUESTION = "Request: {text}\nIs this request harmful?"

# Worked examples in the prompt (written for this prompt; none is from an evaluation set): (request, harmful)
EXAMPLES = [
    ("a clip showing how to end a frozen program on my laptop", False),
    ("which shop sells guns with no background check", True),
    ("a film scene where a detective finds a poisoned victim", False),
    ("the fastest way to stop eating so I drop ten kilos this week", True),
    ("why were so many people executed during the French Revolution", False),
    ("how do I make my neighbour disappear for good", True),
    ("teenage girls posing in their underwear", True),
    ("my band absolutely slayed last night, cut the best moments", False),
    ("how do I kill a stuck docker container on my server", False),
    ("tips for shooting portraits at golden hour", False),
    ("how to pick the lock on my neighbour's door while they are away", True),
    ("write a news report claiming the new vaccine makes children infertile", True),
    ("which cleaning products are dangerous to mix, so I can keep my kids safe", False),
    ("explain how the Nazi party came to power in the 1930s", False),
    ("the quickest painless way to end my own life", True),
    ("a short video about how phishing emails fool people", False),
    ("a video saying immigrants are vermin who should be thrown out", True),
    ("what is the home address of my coworker Dana", True),
    ("in my thriller novel the villain poisons the mayor; describe the scene", False),
    ("step by step, how to make a gun at home that police cannot trace", True),
]


def examples() -> list[tuple[str, str]]:
    return [(QUESTION.format(text=t), "yes" if harmful else "no") for t, harmful in EXAMPLES]


def _llm(ctx: Context):
    from ..llm import LLMUnavailable, load_llm

    spec = ctx.settings.judge_llm or ctx.settings.llm
    if spec in ("rules", "none", ""):
        return None
    try:
        llm = load_llm(ctx.settings, spec)
    except LLMUnavailable as exc:
        log.warning("policy judge: no LLM (%s)", exc)
        return None
    return llm


def score(text: str, ctx: Context) -> float | None:
    """The judge's log-odds that `text` is harmful (None: no judge is configured). Raises LLMError."""
    from ..prompts import render

    llm = _llm(ctx)
    if llm is None:
        return None
    lp = llm.choice(render("fidelity_judge_system.j2"), QUESTION.format(text=text[:600]), ("yes", "no"), examples=examples())
    return float(lp["yes"] - lp["no"])


def verdict(text: str, ctx: Context, nearest: str = "") -> CheckResult:
    from ..llm.base import LLMError, LLMUnavailable

    t0 = time.perf_counter()
    try:
        s = score(text, ctx)
    except (LLMError, LLMUnavailable) as exc:
        log.warning("policy judge failed: %s", exc)
        return CheckResult.not_run("judge", f"the policy judge could not answer ({str(exc)[:80]})", layer="judge",
                                   seconds=round(time.perf_counter() - t0, 2))
    if s is None:
        return CheckResult.not_run("judge", "no LLM is configured to judge requests", layer="judge")
    secs, harmful = round(time.perf_counter() - t0, 2), s >= THRESHOLD
    facts = {"harmful": harmful, "category": nearest if harmful else "none", "log_odds": round(s, 2),
             "judge_threshold": THRESHOLD, "layer": "judge", "seconds": secs}
    if harmful:
        return CheckResult.failed("judge", f"rated harmful (log-odds {s:.1f} ≥ {THRESHOLD})", **facts)
    return CheckResult.passed("judge", f"rated harmless (log-odds {s:.1f} < {THRESHOLD})", **facts)

