"""When to offer to make (or change) a video instead of showing more: a rule over how the person took
the latest answers.

Each answer is summed up as an `Answer`: a 👍/👎 on one of its items, a verdict in words, how many of
its videos were played and the largest share of one watched. The rule counts the latest answers in
a row that went badly and offers generation once the count reaches its threshold. Two ways of
counting, chosen by `OfferRule.signals`:
- rejections only: an answer counts when it got a 👎 or none of it was played; a 👍 ends the run.
- signals: as above, and an answer also counts when it was turned down in words or what was played
  was left early (under `SHORT` of the video); a video watched past `LONG`, or an answer accepted
  in words, ends the run.
An answer that neither counts nor ends the run (played a while, no verdict) is passed over.
`answers_from_log` sums up a chat's answers from the stored log (verdicts in words are stored as
👍/👎 by the verdict reader, so they arrive as thumbs); `DEFAULT` is the chat's rule, chosen with
the simulated users of `bench simusers` (see the README, "Measuring").
"""
from __future__ import annotations

import json
from dataclasses import dataclass

SHORT, LONG = 0.3, 0.6


@dataclass(frozen=True)
class Answer:
    thumbs_up: bool = False
    thumbs_down: bool = False
    said_yes: bool = False          # accepted in words ("love the second one")
    said_no: bool = False           # turned down in words ("not what I want", "boring")
    played: int = 0
    best_share: float | None = None  # the largest share of one of its videos watched; None: unknown


def went_badly(a: Answer, signals: bool) -> bool | None:
    """True: the answer counts toward the run; False: it ends the run; None: passed over."""
    if a.thumbs_up or (signals and (a.said_yes or (a.best_share or 0.0) >= LONG)):
        return False
    if a.thumbs_down or a.played == 0:
        return True
    if signals and (a.said_no or (a.best_share is not None and a.best_share < SHORT)):
        return True
    return None


def bad_run(answers: list[Answer], signals: bool = True) -> int:
    """The latest answers in a row that went badly (newest last in `answers`)."""
    n = 0
    for a in reversed(answers):
        bad = went_badly(a, signals)
        if bad is False:
            break
        n += bool(bad)
    return n


@dataclass(frozen=True)
class OfferRule:
    """Offer generation after `after` answers in a row went badly (0: never)."""
    after: int = 3
    signals: bool = False

    @classmethod
    def parse(cls, spec: str) -> "OfferRule":
        """`never`, `rejections:N` or `signals:N`."""
        kind, _, n = spec.partition(":")
        if kind == "never":
            return cls(0)
        if kind in ("rejections", "signals") and n.isdigit() and int(n) > 0:
            return cls(int(n), kind == "signals")
        raise ValueError(f"unknown offer rule {spec!r}: use never, rejections:N or signals:N")

    @property
    def name(self) -> str:
        return "never" if self.after == 0 else f"{'signals' if self.signals else 'rejections'}:{self.after}"

    def __call__(self, answers: list[Answer]) -> bool:
        return self.after > 0 and bad_run(answers, self.signals) >= self.after


DEFAULT = OfferRule(1, signals=True)   # chosen on the tune half of the simulated users (README, "Measuring")


def answers_from_log(store, user: str, session: str, n: int = 6) -> list[Answer]:
    """The latest `n` answers `user` got in `session`, oldest first, each summed up from what happened
    to its items after it was shown and before the next answer (player reports come from any session)."""
    picks = [m for m in store.messages(user, session, limit=100) if m.role == "assistant" and (m.meta or {}).get("kind") == "picks"][-n:]
    if not picks:
        return []
    shown = [json.loads(m.content) for m in picks]
    events = store.interactions(user=user, kinds=["like", "dislike", "play", "watch"], since=picks[0].at)
    lengths = {i: it.duration_s for i, it in store.get_items({i for ids in shown for i in ids}).items() if it.duration_s}
    out = []
    for k, (m, ids) in enumerate(zip(picks, shown)):
        end = picks[k + 1].at if k + 1 < len(picks) else float("inf")
        mine = [e for e in events if e.item_id in ids and m.at <= e.at < end]
        secs: dict[str, float] = {}
        for e in mine:
            if e.kind == "watch" and e.value:
                secs[e.item_id] = secs.get(e.item_id, 0.0) + float(e.value)
        shares = [min(1.0, v / lengths[i]) for i, v in secs.items() if i in lengths]
        out.append(Answer(thumbs_up=any(e.kind == "like" for e in mine), thumbs_down=any(e.kind == "dislike" for e in mine),
                          played=len({e.item_id for e in mine if e.kind in ("play", "watch")}),
                          best_share=max(shares) if shares else None))
    return out
