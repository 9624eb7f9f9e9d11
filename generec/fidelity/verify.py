"""`verify(path)`: is this file one of ours, untouched? Watermark + manifest, each judged alone.

- watermark: decoded from sampled frames (survives re-encoding, resizing, cropping); it
  says "made or edited by GeneRec" even when the manifest was stripped;
- manifest_valid: a manifest was found (sidecar and/or mp4 tag), its signature checks out
  with our key, the two copies agree, and the media's packet hash matches the manifest.
Every reason for a negative answer is listed, so a person can see *what* was tampered with.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..config import Settings
from ..media import IMAGE_EXTS, MediaError
from . import provenance as prov
from .base import Unavailable


def _watermark(path: Path) -> tuple[bool | None, dict, str | None]:
    from . import marking

    try:
        res = marking.detect_image(path) if path.suffix.lower() in IMAGE_EXTS else marking.detect_video(path)
        return res["detected"], res, None
    except (MediaError, OSError) as exc:
        return None, {}, f"watermark could not be read: {exc}"
    except ImportError as exc:
        return None, {}, f"watermark check not run: {exc} (pip install opencv-python-headless==4.14.0.94)"
    except Unavailable as exc:
        return None, {}, f"watermark check not run: {exc}"


def verify(path: Path, settings: Settings) -> dict:
    path = Path(path)
    out = {"file": str(path), "watermark": False, "manifest_found": False, "manifest_valid": False, "origin": None, "reasons": []}
    if not path.is_file():
        out["reasons"].append("file not found")
        return out
    mark, detail, why = _watermark(path)
    out["watermark"] = bool(mark)
    out["watermark_agreement"] = f"{detail.get('agreement', 0)}/{detail.get('bits', 32)}" if detail else None
    if why:
        out["reasons"].append(why)
        out["watermark_checked"] = False
    elif not mark:
        out["reasons"].append("no GeneRec watermark in the frames")

    side = prov.sidecar(path)
    copies = {}
    if side.exists():
        try:
            copies["sidecar"] = json.loads(side.read_text())
        except json.JSONDecodeError:
            out["reasons"].append("the sidecar manifest is not valid JSON")
    if path.suffix.lower() not in IMAGE_EXTS:
        tag = prov.embedded(path)
        if tag is not None:
            copies["embedded"] = tag
    if not copies:
        out["reasons"].append("no provenance manifest (neither FILE.provenance.json nor in the file's metadata)")
        return out
    out["manifest_found"] = True
    key = prov.load_key(settings.data_dir)
    valid = True
    for where, m in copies.items():
        if m.get("_unreadable") or not prov.signature_ok(m, key):
            valid = False
            out["reasons"].append(f"the {where} manifest's signature does not match (edited, or signed with another key)")
    if len(copies) == 2 and prov.sign(copies["sidecar"], key) != prov.sign(copies["embedded"], key):
        valid = False
        out["reasons"].append("the sidecar and embedded manifests differ")
    m = copies.get("sidecar") or copies["embedded"]
    want = (m.get("media") or {}).get("sha256_packets") if path.suffix.lower() not in IMAGE_EXTS else (m.get("cover") or {}).get("sha256")
    try:
        got = prov.media_hash(path)
    except MediaError as exc:
        got = None
        out["reasons"].append(str(exc))
    if not want or got != want:
        valid = False
        out["reasons"].append("the media content does not match the manifest's hash (the file was changed after signing)")
    out.update(manifest_valid=valid, origin=m.get("origin"), label=m.get("label"), item_id=m.get("item_id"),
               generator=m.get("generator"), sources=[s.get("id") for s in m.get("sources", [])],
               checks_passed=(m.get("checks") or {}).get("allowed"))
    return out
