"""Command-line entry points: `generec verify FILE` and `generec screen "TEXT"`.

Both take argv and return an exit code, so `generec/cli.py` can register them as they are.
verify: 0 when the Content Credentials (C2PA) validate, 1 otherwise (the JSON says why; the
watermark and the C2PA validation are separate fields).
screen: 0 when allowed, 1 when refused, 3 when held (a check could not run); with --file,
one JSON line per request and exit 0.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from ..config import Settings


def verify_main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    p = argparse.ArgumentParser(prog="generec verify", description="check a file's watermark and its C2PA Content Credentials")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    from ..fidelity.verify import verify

    res = verify(args.file, settings or Settings.from_env())
    if args.json:
        print(json.dumps(res))
    else:
        state = res["c2pa"]["validation_state"]
        print(f"{res['file']}: watermark {'yes' if res['watermark'] else 'no'}, Content Credentials "
              f"{'valid' if res['manifest_valid'] else ('INVALID' if res['manifest_found'] else 'missing')}"
              + (f" (C2PA: {state})" if state else "") + (f", {res.get('label')}" if res.get("label") else ""))
        for r in res["reasons"]:
            print(f"  - {r}")
    return 0 if res["manifest_valid"] else 1


def _screen_one(text: str, ctx) -> dict:
    from ..fidelity.privacy import redact
    from ..fidelity.request import screen_request

    rep = screen_request(text, ctx)
    d = rep.to_dict()
    return {"text": redact(text), "allowed": rep.allowed, "held": rep.held, "summary": rep.summary(), "checks": d["checks"]}


def screen_main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    p = argparse.ArgumentParser(prog="generec screen", description="run the request checks alone")
    p.add_argument("text", nargs="?", help="the request to screen")
    p.add_argument("--file", help="screen one request per line of this file ('-' = stdin)")
    p.add_argument("--user", default=None, help="the requesting user (other known users count as 'other users')")
    p.add_argument("--other-users", default="", help="comma-separated names of other accounts")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not args.text and not args.file:
        p.error("give TEXT or --file")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ..fidelity.base import Context

    others = frozenset(u.strip() for u in args.other_users.split(",") if u.strip())
    ctx = Context.from_settings(settings or Settings.from_env(), user=args.user, other_users=others)
    if args.file:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        with stream:
            for line in stream:
                if line.strip():
                    text = line.strip()
                    if text.startswith("{"):   # JSONL with a "text" field, like tests/data/redteam.jsonl
                        text = json.loads(text).get("text", "")
                    res = _screen_one(text, ctx)
                    print(json.dumps(res) if args.json else f"{'ALLOW' if res['allowed'] else 'BLOCK'}{' (held)' if res['held'] else ''}  {res['text']}  -- {res['summary']}")
        return 0
    res = _screen_one(args.text, ctx)
    print(json.dumps({k: res[k] for k in ("allowed", "held", "checks", "summary")}) if args.json else
          f"{'allowed' if res['allowed'] else 'refused'}{' (held)' if res['held'] else ''}: {res['summary']}")
    return 0 if res["allowed"] and not res["held"] else (1 if not res["allowed"] else 3)
