"""The policy judge: the LLM reads a short written policy and rules on the requests that the
hand-written rules and the learned screen are unsure about.

`verdict(text, ctx)` asks the configured LLM (the bundled Qwen by default, shared with the
planner) for `{harmful, category, reason}` under a JSON schema, within `ctx.judge_timeout_s`.
It answers a `CheckResult` named "judge": pass or fail with the model's reason, or not_run when
no model is configured, it failed or it ran out of time (the caller then decides; a severe
suspicion fails closed). The policy is `prompts/fidelity_judge_system.j2`.
"""
from __future__ import annotations

import logging
import time

from .base import CheckResult, Context

log = logging.getLogger("generec.fidelity")
NONE = "none"


def schema(categories: list[str]) -> dict:
    return {"type": "object", "properties": {
        "harmful": {"type": "boolean"},
        "category": {"type": "string", "enum": [NONE, *categories]},
        "reason": {"type": "string", "maxLength": 160}},
        "required": ["harmful", "category", "reason"]}


def _llm(ctx: Context):
    from ..llm import LLMUnavailable, load_llm

    if ctx.settings.llm in ("rules", "none", ""):
        return None
    try:
        llm = load_llm(ctx.settings)
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
        raw = llm.json(render("fidelity_judge_system.j2"), f"Request: {text[:600]}", schema(categories), max_tokens=80)
    except LLMError as exc:
        log.warning("policy judge failed: %s", exc)
        return CheckResult.not_run("judge", f"the policy judge could not answer ({str(exc)[:80]})", layer="judge",
                                   seconds=round(time.perf_counter() - t0, 2))
    secs = round(time.perf_counter() - t0, 2)
    category = str(raw.get("category") or NONE)
    reason = str(raw.get("reason") or "").strip()[:160]
    harmful = bool(raw.get("harmful")) and category != NONE
    if harmful and category in categories:
        return CheckResult.failed("judge", reason or f"judged a {category} request", category=category, layer="judge", seconds=secs)
    return CheckResult.passed("judge", reason or "judged harmless", layer="judge", seconds=secs)
