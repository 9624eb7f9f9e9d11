"""Exposure of groups of items in recommendations: reported, not hidden.

Given the slates the recommender showed (ranked lists of item ids), how much attention went
to AI-made vs human-made items, and to popular vs long-tail items, compared with their share
of the catalogue. Attention at rank r is 1/log2(r + 1) (the usual position discount), so a
first place counts more than a fifth. "Popular" = the smallest set of most-interacted items
that covers 80 % of all interactions (the Pareto head); the rest is the long tail.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def position_weight(rank: int) -> float:
    return 1.0 / math.log2(rank + 1)


def popular_head(popularity: dict[str, float], head_share: float = 0.8) -> set[str]:
    """Most-interacted items that together account for `head_share` of all interactions."""
    total = sum(popularity.values())
    head, acc = set(), 0.0
    for item, n in sorted(popularity.items(), key=lambda kv: -kv[1]):
        if total <= 0 or acc >= head_share * total or n <= 0:
            break
        head.add(item)
        acc += n
    return head


@dataclass
class GroupExposure:
    group: str
    exposure_share: float      # share of position-weighted attention
    impression_share: float    # share of slots, unweighted
    catalogue_share: float     # share of the catalogue in this group

    @property
    def ratio(self) -> float:
        """Exposure relative to catalogue share: 1 = proportional, >1 over-exposed."""
        return self.exposure_share / self.catalogue_share if self.catalogue_share else float("inf")


def exposure(slates: list[list[str]], group_of: dict[str, str], catalogue: list[str] | None = None) -> dict[str, GroupExposure]:
    """Exposure per group; `group_of` maps item id -> group name (ids missing from it are "unknown")."""
    weights, slots = {}, {}
    for slate in slates:
        for rank, item in enumerate(slate, start=1):
            g = group_of.get(item, "unknown")
            weights[g] = weights.get(g, 0.0) + position_weight(rank)
            slots[g] = slots.get(g, 0) + 1
    catalogue = catalogue if catalogue is not None else list(group_of)
    cat = {}
    for item in catalogue:
        g = group_of.get(item, "unknown")
        cat[g] = cat.get(g, 0) + 1
    tw, ts, tc = sum(weights.values()) or 1.0, sum(slots.values()) or 1, len(catalogue) or 1
    return {g: GroupExposure(g, weights.get(g, 0.0) / tw, slots.get(g, 0) / ts, cat.get(g, 0) / tc)
            for g in sorted(set(weights) | set(cat))}


def fairness_report(slates: list[list[str]], origin_of: dict[str, str], popularity: dict[str, float]) -> dict:
    """The two views the issue asks for, as plain numbers for a table or the bench."""
    made = {i: ("human" if o == "human" else "ai") for i, o in origin_of.items()}
    head = popular_head(popularity)
    pop = {i: ("popular" if i in head else "long_tail") for i in origin_of}
    out = {}
    for name, groups in (("origin", made), ("popularity", pop)):
        out[name] = {g: {"exposure": round(e.exposure_share, 4), "impressions": round(e.impression_share, 4),
                         "catalogue": round(e.catalogue_share, 4), "ratio": round(e.ratio, 3) if e.catalogue_share else None}
                     for g, e in exposure(slates, groups, list(origin_of)).items()}
    return out


def describe(report: dict) -> str:
    """One sentence per view, for the chat or a dashboard."""
    lines = []
    for view, groups in report.items():
        parts = [f"{g}: {v['exposure']:.0%} of attention vs {v['catalogue']:.0%} of the catalogue" for g, v in groups.items()]
        lines.append(f"{view} - " + "; ".join(parts))
    return "\n".join(lines)
