"""Licences of media: what each allows, and the licence an edited or created item inherits.

The rule (`derive`), applied to the licences of every source an item was made from:
- no sources (procedural, or own uploads): the project's own licence for generated media;
- unknown or unrecognised licence: the item is *private only* (we cannot show we may share it);
- a no-derivatives source: the item may not be published at all;
- copyleft: GPL sources make the result GPL-3.0-or-later (GPL-2.0-only stays 2.0-only and
  cannot mix with GPL-3); CC BY-SA makes it CC BY-SA 4.0 (3.0 allows later versions);
  BY-SA 4.0 may become GPL-3 (CC's one-way compatibility), so BY-SA + GPL -> GPL-3.0-or-later;
- non-commercial sources make it CC BY-NC(-SA) 4.0, which cannot mix with GPL;
- permissive (CC0, public domain, BSD, MIT, Apache, CC BY, OFL): CC BY 4.0 with attribution.
Attribution always lists every source's own attribution line.
"""
from __future__ import annotations

from dataclasses import dataclass

OWN_LICENCE = "CC-BY-4.0"   # generated media with no third-party source


@dataclass(frozen=True)
class Terms:
    derivatives: bool
    share_alike: str | None     # family the result must stay in: "gpl2", "gpl3", "gpl2+", "cc-by-sa", None
    commercial: bool
    attribution: bool


TABLE: dict[str, Terms] = {
    "CC0-1.0": Terms(True, None, True, False),
    "public-domain": Terms(True, None, True, False),
    "MIT": Terms(True, None, True, True),
    "BSD-2-Clause": Terms(True, None, True, True),
    "BSD-3-Clause": Terms(True, None, True, True),
    "Apache-2.0": Terms(True, None, True, True),
    "OFL-1.1": Terms(True, None, True, True),
    "CC-BY-3.0": Terms(True, None, True, True),
    "CC-BY-4.0": Terms(True, None, True, True),
    "CC-BY-SA-3.0": Terms(True, "cc-by-sa", True, True),
    "CC-BY-SA-4.0": Terms(True, "cc-by-sa", True, True),
    "CC-BY-NC-4.0": Terms(True, None, False, True),
    "CC-BY-NC-SA-4.0": Terms(True, "cc-by-sa", False, True),
    "CC-BY-ND-4.0": Terms(False, None, True, True),
    "CC-BY-NC-ND-4.0": Terms(False, None, False, True),
    "GPL-2.0-only": Terms(True, "gpl2", True, True),
    "GPL-2.0-or-later": Terms(True, "gpl2+", True, True),
    "GPL-3.0-only": Terms(True, "gpl3", True, True),
    "GPL-3.0-or-later": Terms(True, "gpl3", True, True),
    "all-rights-reserved": Terms(False, None, False, True),
}
_ALIASES = {"cc0": "CC0-1.0", "pd": "public-domain", "public domain": "public-domain", "gpl-3": "GPL-3.0-or-later",
            "gpl-3+": "GPL-3.0-or-later", "gpl-2+": "GPL-2.0-or-later", "gpl-2": "GPL-2.0-only", "bsd": "BSD-3-Clause",
            "cc-by": "CC-BY-4.0", "cc-by-sa": "CC-BY-SA-4.0", "proprietary": "all-rights-reserved"}


def normalise(licence: str) -> str:
    """SPDX-ish id; exceptions ("GPL-3.0-only WITH OpenSSL-exception") only add permissions, so they drop."""
    base = (licence or "").split(" WITH ")[0].strip()
    for key in TABLE:
        if base.lower() == key.lower():
            return key
    return _ALIASES.get(base.lower(), base)


def terms(licence: str) -> Terms | None:
    return TABLE.get(normalise(licence))


@dataclass(frozen=True)
class Derived:
    licence: str
    attribution: str
    publishable: bool
    reason: str


def derive(sources: list[tuple[str, str, str]], made_by: str = "GeneRec (AI)") -> Derived:
    """Licence for an item made from `sources` = [(id, licence, attribution), ...]."""
    lines = [f"{att or sid}" for sid, _, att in sources]
    attribution = f"Made by {made_by}" + (" from: " + "; ".join(lines) if lines else "")
    if not sources:
        return Derived(OWN_LICENCE, attribution, True, "no third-party source")
    unknown = [sid for sid, lic, _ in sources if terms(lic) is None]
    if unknown:
        return Derived("unknown", attribution, False, f"source {', '.join(unknown)} has no known licence: the item stays private")
    ts = {sid: terms(lic) for sid, lic, _ in sources}
    nod = [sid for sid, t in ts.items() if not t.derivatives]
    if nod:
        return Derived("all-rights-reserved", attribution, False, f"source {', '.join(nod)} forbids derivative works: it cannot be published")
    families = {t.share_alike for t in ts.values() if t.share_alike}
    commercial = all(t.commercial for t in ts.values())
    gpl = families & {"gpl2", "gpl2+", "gpl3"}
    if gpl and not commercial:
        return Derived("unknown", attribution, False, "a non-commercial source cannot be combined with GPL media")
    if "gpl2" in gpl and ("gpl3" in gpl or "cc-by-sa" in families):
        return Derived("unknown", attribution, False, "GPL-2.0-only media cannot be combined with GPL-3 or CC BY-SA media")
    if gpl == {"gpl2"}:
        licence = "GPL-2.0-only"
    elif gpl == {"gpl2+"} and "cc-by-sa" not in families:
        licence = "GPL-2.0-or-later"
    elif gpl:
        licence = "GPL-3.0-or-later"
    elif "cc-by-sa" in families:
        licence = "CC-BY-SA-4.0" if commercial else "CC-BY-NC-SA-4.0"
    else:
        licence = OWN_LICENCE if commercial else "CC-BY-NC-4.0"
    return Derived(licence, attribution, True, f"inherits {licence} from its sources")


def compatible(item_licence: str, derived: Derived) -> bool:
    """Does the licence an item carries honour what its sources require?"""
    return normalise(item_licence) == derived.licence
