"""`python -m generec edit {thumbnail|clip|restyle|caption} (--item ID | --video FILE) ...`.

Prints the new items with their paths (`--json` for one JSON list). With `--item` or `--user`
the corpus database is opened to find the video and the user's taste; `--video` alone needs
no database. `--add` also puts the new private items into the catalog (store + indexes).
Exit codes: 0 done, 2 the edit was refused (the message says why).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ..editor import OPS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="generec edit", description="AI editor: make a new item from a video")
    p.add_argument("op", choices=OPS)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--item", help="id of a corpus item")
    src.add_argument("--video", help="a video file")
    p.add_argument("--user", default="", help="whose taste to follow (their likes)")
    p.add_argument("--instruction", default="", help="what you want, e.g. 'the parts about music', 'noir 2x', 'funny'")
    p.add_argument("--style", help="restyle look (warm, noir, vintage, cartoon, sketch, vivid)")
    p.add_argument("--out", required=True, help="folder for the new files")
    p.add_argument("--img2img", default=None, help="diffusers image-to-image model (folder or hub id; default: GENEREC_IMG2IMG)")
    p.add_argument("--llm", action="store_true", help="rewrite caption titles with the configured LLM (GENEREC_LLM)")
    p.add_argument("--add", action="store_true", help="add the new items to the corpus (private to --user)")
    p.add_argument("--no-checks", action="store_true",
                   help="skip watermark/checks/manifest (to time the edit alone); not allowed with --add")
    p.add_argument("--json", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    from ..config import Settings
    from ..editor.base import EditContext, EditError
    from ..editor.hook import request_for, summary

    ap = parser()
    args = ap.parse_args(argv)
    if args.add and not args.user:
        ap.error("--add needs --user: edited items are private to the user who asked")
    if args.add and args.no_checks:
        ap.error("--add needs the fidelity checks: nothing unchecked joins the corpus")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_env()
    t0 = time.perf_counter()
    ctx = EditContext(settings, Path(args.out).expanduser().resolve(), img2img=(args.img2img if args.img2img is not None else settings.img2img) or None)
    app = None
    try:
        if args.item or args.user or args.add:
            from ..app import GeneRec

            app = GeneRec(settings)
            ctx.image_model, ctx.text_embedder = app.catalog.image_model, app.catalog.text_model
        if args.llm:
            from ..llm import load_llm
            from ..editor.caption import llm_caller

            ctx.llm_text = llm_caller(load_llm(settings))
        req = request_for(app.catalog if app else None, app.store if app else None, args.user,
                          item_id=args.item, video=args.video, instruction=args.instruction, style=args.style,
                          image_model=ctx.images if (app and args.user) else None)
        from ..editor import run_edit

        items = run_edit(args.op, req, ctx)
        if not args.no_checks:
            from ..editor.checks import seal_items

            items, refused = seal_items(items, req, settings, app.store if app else None)
            for line in refused:
                print(f"generec edit {args.op}: refused by the fidelity checks: {line}", file=sys.stderr)
            if not items:
                return 3
        if args.add:
            app.catalog.add(items)
    except EditError as exc:
        print(f"generec edit {args.op}: {exc}", file=sys.stderr)
        return 2
    out = [summary(it) | {"provenance": it.provenance} for it in items]
    if args.json:
        print(json.dumps(out, default=str))
    else:
        for it in items:
            print(f"{it.id}: {it.title}\n  video {it.media_path}\n  cover {it.cover_path}  ({it.duration_s:.1f} s)")
        print(f"{len(items)} item(s) in {time.perf_counter() - t0:.1f} s" + ("; added to the corpus" if args.add else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
