"""`python -m generec create "TEXT" [--user U] [--out FILE] [--json]`: the creator pipeline from a shell.

Runs exactly what the chat runs (same context, same stages), prints stage progress on
stderr, and prints the item record (`--json`) or a summary. Exit code 2 with the failing
stage named when the request cannot be made or a stage fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="generec create", description="make a new short video from a request")
    p.add_argument("text", help='what the video should be about, e.g. "a calm video about rainy nights in the city"')
    p.add_argument("--user", default="guest", help="whose taste to follow and who owns the video (created if new)")
    p.add_argument("--out", help="also copy the mp4 here")
    p.add_argument("--json", action="store_true", help="print the item record as JSON")
    p.add_argument("--visuals", default=None,
                   help="compose or diffusers:<model id or folder>[?steps=N&size=S] (default: GENEREC_CREATOR_VISUALS)")
    p.add_argument("--voice", default=None, choices=["piper", "espeak", "none"], help="default: GENEREC_CREATOR_VOICE")
    p.add_argument("--llm", help="LLM spec (default: GENEREC_LLM); 'none' writes the storyboard from templates")
    p.add_argument("--no-save", action="store_true", help="do not add the video to the store (just write the files)")
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parser().parse_args(argv)
    from ..config import Settings
    from ..app import GeneRec
    from ..creator.context import CreatorContext
    from ..creator.pipeline import CreateError, create

    settings = Settings.from_env()
    app = GeneRec(settings)
    user = app.user(args.user, create=True).name
    llm = None
    if (args.llm or settings.llm) != "none":
        from ..llm import LLMUnavailable, load_llm

        try:
            llm = load_llm(settings, args.llm)
        except LLMUnavailable as exc:
            print(f"(no LLM: {exc}; the storyboard comes from templates)", file=sys.stderr)
    ctx = CreatorContext.from_app(app, llm=llm, visuals=args.visuals or settings.creator_visuals,
                                 voice=args.voice or settings.creator_voice, persist=not args.no_save)

    def progress(stage: str, frac: float) -> None:
        if not args.json:
            print(f"· {stage} {frac:.0%}", file=sys.stderr, flush=True)

    try:
        res = create(args.text, {}, user, ctx, progress=progress)
    except CreateError as exc:
        print(f"generec create: the {exc.stage} stage failed: {exc.message}", file=sys.stderr)
        return 2
    if args.out:
        shutil.copyfile(res.media_path, args.out)
    if args.json:
        print(json.dumps(res.item.to_dict(), default=str))
    else:
        it = res.item
        print(f"made “{it.title}” ({it.duration_s:.1f} s, {it.width}x{it.height}, {'narrated' if it.has_audio else 'silent'}): {res.media_path}")
        print("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in res.stage_times.items()))
        for note in res.notes:
            print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
