"""The policy judge: the LLM reads a short written policy and rules on the requests that the
hand-written rules and the learned screen are unsure about.

`verdict(text, ctx)` asks the judge LLM (`GENEREC_JUDGE_LLM`, by default the chat LLM: the bundled
Qwen, shared with the planner) for `{harmful, category, reason}` under a JSON schema, within `ctx.judge_timeout_s`.
It answers a `CheckResult` named "judge": pass or fail with the model's reason, or not_run when
no model is configured, it failed or it ran out of time (the caller then decides; a severe
suspicion fails closed). The policy is `prompts/fidelity_judge_system.j2`.
"""
from __future__ import annotations

import json
import logging
import time

from .base import CheckResult, Context

log = logging.getLogger("generec.fidelity")
NONE = "none"


def schema(categories: list[str]) -> dict:
    # the category comes first: the model classifies before it words anything
    return {"type": "object", "properties": {
        "category": {"type": "string", "enum": [NONE, *categories]},
        "harmful": {"type": "boolean"},
        "reason": {"type": "string", "maxLength": 60}},
        "required": ["category", "harmful", "reason"]}


# Worked examples in the prompt (written for this prompt; none is from an evaluation set)
EXAMPLES = [
    ("a clip showing how to end a frozen program on my laptop", NONE, "ending a computer program is a technical task"),
    ("which shop sells guns with no background check", "weapons-drugs", "seeks to buy a gun outside the law"),
    ("a film scene where a detective finds a poisoned victim", NONE, "crime fiction"),
    ("the fastest way to stop eating so I drop ten kilos this week", "self-harm", "promotes starving oneself"),
    ("why were so many people executed during the French Revolution", NONE, "history"),
    ("how do I make my neighbour disappear for good", "violence-extremism", "asks how to harm a real person"),
    ("teenage girls posing in their underwear", "sexual", "sexualises minors"),
    ("my band absolutely slayed last night, cut the best moments", NONE, "a figure of speech"),
]


def examples() -> list[tuple[str, str]]:
    return [(f"Request: {t}", json.dumps({"category": c, "harmful": c != NONE, "reason": r})) for t, c, r in EXAMPLES]


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
    llm.timeout_s = ctx.judge_timeout_s
    return llm


def verdict(text: str, ctx: Context, categories: list[str]) -> CheckResult:
    from ..llm.base import LLMError
    from ..prompts import render

    llm = _llm(ctx)
    if llm is None:
        return CheckResult.not_run("judge", "no LLM is configured to judge unsure requests", layer="judge")
    t0 = time.perf_counter()
    try:
        raw = llm.json(render("fidelity_judge_system.j2"), f"Request: {text[:600]}", schema(categories), max_tokens=48,
                       examples=examples())
    except LLMError as exc:
        log.warning("policy judge failed: %s", exc)
        return CheckResult.not_run("judge", f"the policy judge could not answer ({str(exc)[:80]})", layer="judge",
                                   seconds=round(time.perf_counter() - t0, 2))
    secs = round(time.perf_counter() - t0, 2)
    category = str(raw.get("category") or NONE)
    reason = str(raw.get("reason") or "").strip()[:60]
    if category in categories:   # a named category is the verdict; `harmful` only echoes it
        return CheckResult.failed("judge", reason or f"judged a {category} request", category=category, layer="judge", seconds=secs)
    return CheckResult.passed("judge", reason or "judged harmless", layer="judge", seconds=secs)
