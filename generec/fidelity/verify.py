"""`verify(path)`: is this file one of ours, untouched? Watermark + Content Credentials, each judged alone.

- watermark: decoded from sampled frames (survives re-encoding, resizing, cropping); it
  says "made or edited by GeneRec" even when the manifest was stripped;
- manifest_valid: the file carries a C2PA manifest and `c2pa.Reader` reports no failure code
  except `signingCredential.untrusted` (our root is self-made; a verifier that adds
  `/provenance/chain.pem` to its trust anchors sees "Trusted"). Changing the media's bytes
  after signing breaks the hash (`assertion.bmffHash.mismatch` / `dataHash.mismatch`).
`c2pa` holds the reader's own words: validation_state, failure codes, digital source type,
ingredients, and whether this install's certificate signed it. Every negative is listed in `reasons`.
"""
from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..media import IMAGE_EXTS, MediaError
from . import credentials
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


def _credentials(path: Path, settings: Settings, out: dict) -> None:
    try:
        got = prov.read(path)
    except ImportError as exc:
        out["reasons"].append(f"Content Credentials not checked: {exc} (pip install c2pa-python==0.38.1)")
        return
    if not got["found"]:
        out["reasons"].append(f"no Content Credentials in the file ({got['error']})" if got["error"] else
                              "no Content Credentials (C2PA manifest) in the file: never signed, or stripped")
        return
    ours = (got["signer"] or {}).get("cert_serial_number") == credentials.our_serial(settings)
    out["c2pa"] = {"validation_state": got["validation_state"], "failures": got["failures"], "manifest": got["manifest"],
                   "digital_source_type": got["digital_source_type"], "ingredients": got["ingredients"],
                   "signer": (got["signer"] or {}).get("common_name"), "signed_here": ours}
    item, gen = got["item"], got["generator"]
    out.update(manifest_found=True, manifest_valid=got["valid"], origin=item.get("origin"), label=item.get("label"),
               item_id=item.get("item_id"), generator=gen or None, sources=[i.get("id") or i.get("title") for i in got["ingredients"]],
               checks_passed=got["checks"].get("allowed"))
    bad = sorted(set(got["failures"]) - prov.EXPECTED)
    if not got["valid"]:
        out["reasons"].append(f"the Content Credentials do not validate ({got['validation_state']}: {', '.join(bad) or 'no reason given'})"
                              + ("; the file was changed after signing" if any("Hash.mismatch" in c for c in bad) else ""))
    if "signingCredential.untrusted" in got["failures"]:
        out["reasons"].append("signed by a self-made root no verifier trusts by default (signingCredential.untrusted)"
                              + ("" if ours else "; not this install's certificate"))


def verify(path: Path, settings: Settings) -> dict:
    path = Path(path)
    out = {"file": str(path), "watermark": False, "manifest_found": False, "manifest_valid": False, "origin": None,
           "c2pa": {"validation_state": None, "failures": [], "digital_source_type": None, "ingredients": []}, "reasons": []}
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
    _credentials(path, settings, out)
    return out
