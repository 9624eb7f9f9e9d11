"""Fair shares: per-account limits on turns and creations, and a bounded number of turns in flight.

Player reports (`/signals`) are bounded too, for every account (the local owner included, since a
real player never comes near): a number a minute, and watch seconds a minute (a person watches a
few videos at once at most, each at most in real time).

Nothing here waits: a request over a limit is answered at once with what to do ("wait 20 s",
"busy, try again in about 15 s"), never left hanging. The estimate of the wait comes from
the turns actually served (a moving average of their length).
"""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque


SIGNALS_PER_MINUTE = 120     # player reports one account may send a minute (a player sends a few)
WATCH_S_PER_MINUTE = 180.0   # watch seconds one account may report a minute (three videos playing at once)


class Limits:
    def __init__(self, turns_per_minute: int, creations_per_hour: int, max_waiting: int, workers: int = 1):
        self.turns_per_minute, self.creations_per_hour = turns_per_minute, creations_per_hour
        self.max_waiting, self.workers = max_waiting, max(1, workers)
        self.in_flight = 0
        self.per_account = True     # off for the single owner of a loopback app: nobody to share with
        self.turn_s = 3.0            # moving average of a turn's length, seconds
        self._turns: dict[str, deque] = defaultdict(deque)
        self._made: dict[str, deque] = defaultdict(deque)
        self._signals: dict[str, deque] = defaultdict(deque)
        self._watched: dict[str, deque] = defaultdict(deque)   # (time, seconds) of the watch reports
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(settings.turns_per_minute, settings.creations_per_hour, settings.max_waiting)

    @staticmethod
    def _recent(q: deque, window: float, now: float) -> deque:
        while q and q[0] <= now - window:
            q.popleft()
        return q

    def start_turn(self, account: str) -> str | None:
        """Admit a turn (and count it in flight), or say why not and when to come back."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(self._turns[account], 60.0, now)
            if self.per_account and self.turns_per_minute and len(q) >= self.turns_per_minute:
                wait = math.ceil(q[0] + 60.0 - now)
                return (f"You have sent {len(q)} messages in the last minute, the most one person may. "
                        f"Wait {wait} s and send it again; nothing was lost.")
            if self.in_flight >= self.max_waiting:
                eta = max(1, math.ceil(self.in_flight * self.turn_s / self.workers))
                return (f"GeneRec is busy: {self.in_flight} requests are ahead of yours. "
                        f"Try again in about {eta} s; nothing was lost.")
            q.append(now)
            self.in_flight += 1
        return None

    def end_turn(self, seconds: float | None = None) -> None:
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)
            if seconds is not None and seconds > 0:
                self.turn_s = 0.8 * self.turn_s + 0.2 * seconds

    def start_creation(self, account: str) -> str | None:
        """Admit an edit or creation for this account, or say when the next one is possible."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(self._made[account], 3600.0, now)
            if self.per_account and self.creations_per_hour and len(q) >= self.creations_per_hour:
                wait = math.ceil((q[0] + 3600.0 - now) / 60)
                return (f"you have made {len(q)} videos in the last hour, the most one person may; "
                        f"the next one is possible in about {wait} min (finding existing videos still works)")
            q.append(now)
        return None

    def start_signal(self, account: str) -> str | None:
        """Admit one player report from this account, or say why not (a flood, not a player)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(self._signals[account], 60.0, now)
            if len(q) >= SIGNALS_PER_MINUTE:
                return f"too many player reports: at most {SIGNALS_PER_MINUTE} a minute"
            q.append(now)
        return None

    def watch_budget(self, account: str, seconds: float) -> float:
        """How many of `seconds` of reported watching fit this account's last minute (booked now)."""
        now = time.monotonic()
        with self._lock:
            q = self._watched[account]
            while q and q[0][0] <= now - 60.0:
                q.popleft()
            room = max(0.0, WATCH_S_PER_MINUTE - sum(s for _, s in q))
            take = min(max(0.0, seconds), room)
            if take > 0:
                q.append((now, take))
        return take
