"""The benchmark protocol's splits: positives only; each user's last share of them (by time) held
out (`temporal_split`), or everything after one moment in time (`global_split`)."""
from __future__ import annotations

import numpy as np

from .interactions import Interactions


def positives(log: Interactions, min_rating: float = 4.0) -> Interactions:
    """Keep interactions rated >= `min_rating`, as implicit feedback of weight 1."""
    keep = np.flatnonzero(log.weights >= min_rating)
    out = log.take(keep)
    out.weights = np.ones(len(out), np.float32)
    return out


def temporal_split(log: Interactions, holdout: float = 0.2) -> tuple[Interactions, dict]:
    """(train, test): test maps user -> list of held-out items, the user's latest `holdout` share.

    A user with n interactions loses floor(holdout * n) of them (so a user needs 5 positives to
    be tested); ties in time keep the log's order. Users with nothing held out stay in train.
    """
    users = np.asarray(log.users, dtype=object)
    # Group by user, then time, then log position (stable for equal timestamps).
    codes = {u: c for c, u in enumerate(dict.fromkeys(log.users))}
    ucode = np.fromiter((codes[u] for u in log.users), np.int64, len(log))
    order = np.lexsort((np.arange(len(log)), log.timestamps, ucode))
    bounds = np.r_[0, np.flatnonzero(np.diff(ucode[order])) + 1, len(order)]
    is_test = np.zeros(len(log), bool)
    for a, b in zip(bounds[:-1], bounds[1:]):
        n_test = int(holdout * (b - a) + 1e-9)
        if n_test:
            is_test[order[b - n_test:b]] = True
    test: dict = {}
    items = np.asarray(log.items, dtype=object)
    for r in order[is_test[order]]:
        test.setdefault(users[r], []).append(items[r])
    return log.take(np.flatnonzero(~is_test)), test


def global_split(log: Interactions, holdout: float = 0.2) -> tuple[Interactions, dict]:
    """(train, test) split at one moment: the latest `holdout` share of the whole log (by time) is
    held out, for the users who also have something before it (nobody is tested cold). No model
    sees anything later than what it is tested on, as in a deployed recommender."""
    cut = np.quantile(log.timestamps, 1.0 - holdout)
    late = log.timestamps > cut
    users = np.asarray(log.users, dtype=object)
    known = set(users[~late].tolist())
    test: dict = {}
    items = np.asarray(log.items, dtype=object)
    for r in np.flatnonzero(late)[np.argsort(log.timestamps[late], kind="stable")]:
        if users[r] in known:
            test.setdefault(users[r], []).append(items[r])
    return log.take(np.flatnonzero(~late)), test
