"""C2PA Content Credentials: one sealing function for every file we make, and reading them back.

`seal(item, files, ...)` embeds a signed C2PA manifest in each file (the mp4 and its cover:
a cover is one more kind of media), signed ES256 with the chain in credentials.py. The
manifest declares:

- `c2pa.actions.v2`: created (IPTC `trainedAlgorithmicMedia`) or, for edits, opened the parent
  then edited (`compositeWithTrainedAlgorithmicMedia`);
- ingredients: one per source item, without its bytes (hashing every source video would cost
  seconds, and a source is a corpus item, not a file the reader has): title, relationship
  (`parentOf` for an edit's parent, else `componentOf`), the licence in `description`, and
  id/licence/attribution in `metadata["org.generec.source"]`;
- `org.generec.item` (id, origin, label, licence, watermark), `org.generec.generator`
  (name, version, component, models) and `org.generec.checks` (the check report).

`FILE.provenance.json` is a human-readable copy of what was signed; validity only ever
comes from the embedded manifest (`read`).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .credentials import load as load_credentials, public_chain  # noqa: F401  (public_chain is part of this API)

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SOURCE_TYPE = {"ai_created": IPTC + "trainedAlgorithmicMedia", "ai_edited": IPTC + "compositeWithTrainedAlgorithmicMedia"}
MIME = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
        ".png": "image/png", ".webp": "image/webp"}
EXPECTED = {"signingCredential.untrusted"}   # our root is self-made: reported, never fatal
_NO_THUMBNAIL = {"builder": {"thumbnail": {"enabled": False}}}


def sidecar(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".provenance.json")


def badge(origin: str) -> str:
    """The visible label shown beside an item in the chat."""
    return {"ai_created": "AI-generated", "ai_edited": "AI-edited"}.get(origin, "")


def definition(item, title: str, sources: list, checks: dict, generator: dict[str, Any]) -> dict:
    """The C2PA manifest definition for one of an item's files."""
    ids: dict[str, str] = {}
    for i, s in enumerate(sources):
        ids.setdefault(s.id, f"source-{i}")
    parent = item.parent_id if item.origin == "ai_edited" and item.parent_id in ids else None
    ingredients = [{"title": s.title or s.id, "relationship": "parentOf" if ids[s.id] == f"source-{i}" and s.id == parent else "componentOf", "label": f"source-{i}",
                    "format": MIME.get(Path(getattr(s, "media_path", "") or "").suffix.lower(), "application/octet-stream"),
                    "description": f"licence: {s.licence or 'unknown'}",
                    "metadata": {"org.generec.source": {"id": s.id, "licence": s.licence, "attribution": s.attribution}}}
                   for i, s in enumerate(sources)]
    dst = SOURCE_TYPE.get(item.origin, IPTC + "trainedAlgorithmicMedia")
    agent = {"name": generator.get("name", "generec"), "version": str(generator.get("version", ""))}
    actions = ([{"action": "c2pa.opened", "parameters": {"ingredientIds": [ids[parent]]}},
                {"action": "c2pa.edited", "digitalSourceType": dst, "softwareAgent": agent}] if parent else
               [{"action": "c2pa.created", "digitalSourceType": dst, "softwareAgent": agent}])
    info = {"item_id": item.id, "origin": item.origin, "label": badge(item.origin), "licence": item.licence,
            "attribution": item.attribution, "watermark": {"method": "dwtDctSvd", "canonical_grid": 256}}
    return {"claim_generator_info": [agent], "title": title, "ingredients": ingredients,
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}},
                           {"label": "org.generec.item", "data": info},
                           {"label": "org.generec.generator", "data": generator},
                           {"label": "org.generec.checks", "data": checks}]}


def _sign_in_place(path: Path, manifest: dict, creds) -> None:
    import c2pa

    mime = MIME.get(path.suffix.lower())
    if mime is None:
        raise ValueError(f"{path.name}: no Content Credentials for {path.suffix or 'files without an extension'}")
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=creds.chain_pem, private_key=creds.key_pem, ta_url=None))
    fd, tmp = tempfile.mkstemp(suffix=path.suffix, dir=path.parent)
    try:
        with c2pa.Context.from_dict(_NO_THUMBNAIL) as ctx, c2pa.Builder(json.dumps(manifest), ctx) as builder, \
                open(path, "rb") as src, os.fdopen(fd, "w+b") as dst:
            builder.sign(signer, mime, src, dst)
        os.replace(tmp, path)
    finally:
        signer.close()
        if os.path.exists(tmp):
            os.unlink(tmp)


def seal(item, files: list[Path], sources: list, checks: dict, generator: dict[str, Any], settings_or_data_dir) -> dict:
    """Sign every file of an item in place and write the readable copies; returns the summary for
    `item.provenance` (manifest = the first file's sidecar name, label, c2pa = what was signed)."""
    creds = load_credentials(settings_or_data_dir)
    files = [Path(f) for f in files if f is not None and Path(f).exists()]
    signed = []
    for path in files:
        _sign_in_place(path, definition(item, path.name, sources, checks, generator), creds)
        got = read(path)
        if not got["valid"]:
            raise RuntimeError(f"{path.name}: the Content Credentials just written do not validate ({', '.join(got['failures'])})")
        copy = {"note": "readable copy of the C2PA manifest embedded in the file; `generec verify FILE` checks the embedded one",
                "file": path.name, **{k: got[k] for k in ("manifest", "validation_state", "digital_source_type", "ingredients")},
                "manifest_store": got["store"]}
        sidecar(path).write_text(json.dumps(copy, indent=1, ensure_ascii=False))
        signed.append({"file": path.name, "manifest": got["manifest"], "validation_state": got["validation_state"]})
    return {"manifest": sidecar(files[0]).name if files else None, "label": badge(item.origin),
            "c2pa": {"digital_source_type": SOURCE_TYPE.get(item.origin), "signer": creds.leaf_serial, "files": signed}}


def _assertion(manifest: dict, label: str) -> dict:
    return next((a.get("data") or {} for a in manifest.get("assertions", []) if a.get("label") == label), {})


def read(path: Path) -> dict:
    """What `c2pa.Reader` says about a file: found, validation_state, failure codes (ours excepted
    in `valid`), digital source type, ingredients and our own assertions."""
    import c2pa

    out = {"found": False, "valid": False, "validation_state": None, "failures": [], "error": None}
    try:
        with c2pa.Reader(str(path)) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return out
    except (c2pa.C2paError, OSError) as exc:   # unsupported type, unparseable asset
        out["error"] = str(exc)
        return out
    res = store.get("validation_results") or {}
    failures = [f["code"] for f in (res.get("activeManifest") or {}).get("failure", [])]
    failures += [f["code"] for d in res.get("ingredientDeltas", []) for f in (d.get("validationDeltas") or {}).get("failure", [])]
    if not res:   # an older report shape: a flat list of status codes
        failures = [f["code"] for f in store.get("validation_status") or []]
    m = (store.get("manifests") or {}).get(store.get("active_manifest"), {})
    actions = _assertion(m, "c2pa.actions.v2").get("actions") or _assertion(m, "c2pa.actions").get("actions") or []
    ingredients = [{"title": i.get("title"), "relationship": i.get("relationship"),
                    **{k: ((i.get("metadata") or {}).get("org.generec.source") or {}).get(k) for k in ("id", "licence", "attribution")}}
                   for i in m.get("ingredients", [])]
    state = store.get("validation_state")
    out.update(found=True, validation_state=state, failures=failures,
               valid=state in ("Valid", "Trusted") and not set(failures) - EXPECTED, manifest=store.get("active_manifest"),
               digital_source_type=next((a.get("digitalSourceType") for a in actions if a.get("digitalSourceType")), None),
               ingredients=ingredients, item=_assertion(m, "org.generec.item"), generator=_assertion(m, "org.generec.generator"),
               checks=_assertion(m, "org.generec.checks"), signer=m.get("signature_info") or {}, store=store)
    return out
