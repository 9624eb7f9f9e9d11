"""`python -m generec eval report --out DIR`: the evaluation harness in one report.

Runs each section's benchmark (the same code as its `bench` command), turns its output into
figures, and writes `report.json` and a self-contained `report.html` with the plots inline.
Every figure carries its n, a 95 % interval, its baselines, the role of the data it was measured
on (`tune`, `sealed`, `held-out`, `simulated`) and the command that reproduces it. The harness's
own sanity checks (random lands at its expected k/N, the oracle at 1) are in the report, and the
command fails when one does not hold.

Sizes: `--tiny` (seconds to a couple of minutes; `make test` runs it), `--quick` (minutes), and
the default full run. Sections: recommender, simusers, screen, instructor, verdicts, items.
"""
from __future__ import annotations

import argparse
import base64
import html
import io
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

from ..config import ROOT, Settings

SECTIONS = ("recommender", "simusers", "screen", "instructor", "verdicts", "items")
# what each size runs: the knobs of each section
SIZES = {
    "tiny": {"recsys": ("ml-100k", "pop,ease,hybrid"), "sim": dict(users=36, turns=3, cut=(150, 40), user_llm="script", make=0.4, half=""),
             "screen_limit": 6, "screen_sets": "tune,sealed", "instr": ("rules",), "instr_limit": 30, "items": False},
    "quick": {"recsys": ("ml-latest-small", "pop,itemknn,ease,hybrid"), "sim": dict(users=8, turns=4, cut=None, user_llm="", make=0.5, half="test"),
              "screen_limit": 60, "screen_sets": "tune,sealed", "instr": ("rules", "llamacpp+alone", "llamacpp"), "instr_limit": 60,
              "items": True},
    "full": {"recsys": ("ml-latest-small", "pop,itemknn,ease,als,content,hybrid,sasrec"), "sim": dict(users=20, turns=5, cut=None, user_llm="", make=0.5, half="test"),
             "screen_limit": None, "screen_sets": "tune,sealed", "instr": ("rules", "llamacpp+alone", "llamacpp"), "instr_limit": 0,
             "items": True},
}


def fig(name: str, value, n: int, ci95, role: str, baselines: list[dict] | None = None, unit: str = "", note: str = "") -> dict:
    """One figure of the report: what was measured, on how many, its 95 % interval and what to compare it with."""
    r = lambda x: None if x is None else round(float(x), 4)  # noqa: E731
    return {"name": name, "value": r(value), "n": int(n), "ci95": None if ci95 is None else [r(ci95[0]), r(ci95[1])],
            "role": role, "unit": unit, "baselines": baselines or [], "note": note}


def base(name: str, value, ci95=None, n: int | None = None) -> dict:
    return {"name": name, "value": None if value is None else round(float(value), 4),
            "ci95": None if ci95 is None else [round(float(ci95[0]), 4), round(float(ci95[1]), 4)], "n": n}


def _png(figure) -> str:
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return base64.b64encode(buf.getvalue()).decode()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bars(title: str, rows: list[tuple[str, float, list | None]], xlabel: str, lines: dict | None = None) -> str:
    """Horizontal bars with 95 % interval whiskers; `lines`: labelled vertical reference lines (targets)."""
    plt = _plt()
    f, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2))
    ys = range(len(rows))
    vals = [v or 0.0 for _, v, _ in rows]
    err = [[max(0.0, (v or 0) - ci[0]) if ci else 0 for _, v, ci in rows], [max(0.0, ci[1] - (v or 0)) if ci else 0 for _, v, ci in rows]]
    ax.barh(list(ys), vals, xerr=err, color="#4c78a8", ecolor="#333", capsize=3)
    ax.set_yticks(list(ys), [r[0] for r in rows])
    ax.invert_yaxis()
    for label, x in (lines or {}).items():
        ax.axvline(x, ls="--", color="#e45756")
        ax.text(x, -0.6, label, color="#e45756", fontsize=8, ha="center")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return _png(f)


# ---------------------------------------------------------------- sections

def recommender(settings: Settings, size: dict, log) -> dict:
    from .recsys import run_recsys

    dataset, models = size["recsys"]
    res = run_recsys(dataset, models.split(","), settings.data_dir / "cache" / "recsys", log=log)
    n, iv, default = res["users"], res["intervals"], res["default"]
    figs = []
    for label, m in res["models"].items():
        others = [base(o, res["models"][o]["ndcg@10"], iv[o]["ndcg@10_ci95"], n) for o in res["models"] if o != label]
        figs.append(fig(f"NDCG@10, {label}", m["ndcg@10"], n, iv[label]["ndcg@10_ci95"], "held-out", others if label == default else [],
                        note="" if label == default else f"minus {default}, paired: {iv[label]['ndcg@10_minus_default_ci95']}"))
        figs.append(fig(f"recall@10, {label}", m["recall@10"], n, iv[label]["recall@10_ci95"], "held-out"))
    plot = bars(f"{dataset}: NDCG@10 per model (95 % bootstrap over {n} users)",
                [(k, res["models"][k]["ndcg@10"], iv[k]["ndcg@10_ci95"]) for k in res["models"]], "NDCG@10")
    return {"title": f"Recommender on MovieLens {dataset} (real logs)", "simulated": False, "figures": figs, "plots": [plot],
            "command": f"python -m generec bench recsys --dataset {dataset} --models {models}",
            "notes": [res["protocol"], res["vectors"], f"default model: {default}"]}


def simusers(settings: Settings, size: dict, log, user_llm=None) -> dict:
    from ..instructor.offer import DEFAULT
    from . import simusers as sim

    k = size["sim"]
    work = settings.data_dir / "eval" / "simusers"
    root = None
    if k["cut"]:
        from ..corpus.movielens import DATASET

        films, people = k["cut"]
        root = sim.cut_movielens(Path(DATASET), work / f"cut-{films}-{people}" / "ml", films, people)
        work = work / f"cut-{films}-{people}" / f"run-make{k['make']:g}"
    user_llm = user_llm or sim.speaker(settings, k["user_llm"])
    generec = f"offer-{DEFAULT.name}"
    policies = ["random", "popularity", "oracle", "feed", "offer-rejections:3", generec]
    out = sim.run(settings, user_llm, users=k["users"], turns=k["turns"], k=10, seed=0, root=root, work=work if root else None,
                  log=log, make_share=k["make"], half=k["half"], policies=policies)
    T, pol = out["turns"], out["policies"]
    label = {"feed": "retrieval only (feed)", "offer-rejections:3": "feed + offer after 3 rejections (the old rule)",
             generec: f"GeneRec: feed + offer by {DEFAULT.name}"}
    figs, checks = [], []
    for name, p in pol.items():
        last = p["success_at"][-1]
        bl = [base(label.get(o, o), q["success_at"][-1]["rate"], q["success_at"][-1]["ci95"], q["n"]) for o, q in pol.items() if o != name] \
            if name == generec else []
        figs.append(fig(f"Success@{T}, {label.get(name, name)}", last["rate"], p["n"], last["ci95"], "simulated", bl,
                        note=f"avg turns to success {p['avg_turns_to_success']}; offers {p['offers']}, taken by a user whose film existed "
                             f"{p['made_instead']}; simulated watch share {p['simulated_watch_share']}; accept share of verdicts "
                             f"{p['accept_share']}; leaked dialogues left out {p['leaked_dialogues']}, leaky replies caught {p['leaky_replies_caught']}"))
        if p.get("watch_share_by_user"):
            figs.append(fig(f"simulated watch share, {label.get(name, name)}", float(np.mean(p["watch_share_by_user"])), p["n"],
                            p["watch_share_ci95"], "simulated", note="each user's mean, over the answers it got, of the largest share "
                            "of one shown film it watched (simulated viewing); higher is better"))
        for need, d in p["by_need"].items():
            x = d["success_at"][-1]
            figs.append(fig(f"Success@{T}, {label.get(name, name)}, {need} needs", x["rate"], d["n"], x["ci95"], "simulated"))
    rand = pol.get("random", {}).get("by_need", {}).get("retrieve")
    if rand:
        for x, want in zip(rand["success_at"], pol["random"]["expected_random"]):
            ok = x["ci95"] is not None and x["ci95"][0] <= want <= x["ci95"][1]
            checks.append({"check": f"random Success@{x['t']} holds its expected 1-(1-k/N)^t = {want} (retrieve needs)", "ok": bool(ok),
                           "detail": f"observed {x['rate']} {x['ci95']}, n {rand['n']}"})
    orc = pol.get("oracle", {}).get("by_need", {})
    if "retrieve" in orc:
        o = orc["retrieve"]["success_at"][0]["rate"]
        checks.append({"check": "oracle Success@1 is 1 (retrieve needs)", "ok": bool(o == 1.0), "detail": f"observed {o}"})
    plt = _plt()
    f, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    ts = list(range(1, T + 1))
    for ax, need in zip(axes, ("retrieve", "make")):
        for name, p in pol.items():
            d = p["by_need"].get(need)
            if not d:
                continue
            ax.plot(ts, [x["rate"] for x in d["success_at"]], marker="o", label=label.get(name, name))
            ax.fill_between(ts, [x["ci95"][0] for x in d["success_at"]], [x["ci95"][1] for x in d["success_at"]], alpha=0.12)
        if need == "retrieve" and "random" in pol:
            ax.plot(ts, pol["random"]["expected_random"], ls=":", color="#555", label="random, expected")
        ax.set_xlabel("turn t")
        ax.set_xticks(ts)
        ax.set_title(f"{need} needs" + (" (the film exists)" if need == "retrieve" else " (no item meets it)"))
    axes[0].set_ylabel("Success@t")
    axes[0].set_ylim(-0.02, 1.05)
    axes[1].legend(fontsize=7)
    f.suptitle(f"SIMULATED users: {out['users']} users ({out['make_needs']} with a need no item meets), {out['k']} films a turn, "
               f"N = {out['items']}", fontsize=10, y=1.03)
    cmd = (f"python -m generec bench simusers --users {k['users']} --turns {T} --make-share {k['make']:g} --policies {','.join(policies)}"
           + (f" --half {k['half']}" if k["half"] else "") + (" --llm script" if k["user_llm"] == "script" else ""))
    if k["cut"]:
        cmd += f"  (on a cut of ml-latest-small: its {k['cut'][0]} most-rated films, {k['cut'][1]} users; `eval report --tiny`)"
    return {"title": "Simulated users asking for a held-out film, or for one no item meets (SIMULATED)", "simulated": True,
            "figures": figs, "plots": [_png(f)], "command": cmd, "checks": checks,
            "notes": [f"user speaker: {out['llm']}; users drawn from the {out['half']} half of MovieLens users",
                      "targets: each user's last film rated 4+ in MovieLens, held out of the store every policy ranks from; for a "
                      "need no item meets, the film is taken out of the catalogue and only an accepted offer to make one meets it",
                      "baselines: random, popularity, oracle (upper bound; it offers at once for needs no item meets), retrieval "
                      "only, and the old offer rule",
                      "viewing is simulated from genre overlap (bench/simusers.py `watch`); whether a made film would be good is "
                      "the item side's question, not this harness's"]}


def screen(settings: Settings, size: dict, log) -> dict:
    from .fidelity import screening

    out = screening(settings, log, sets=size["screen_sets"], limit=size["screen_limit"])
    figs, rows = [], []
    for name, r in out["sets"].items():
        for lab, what in (("harmful", "harmful requests blocked"), ("benign", "harmless look-alikes blocked")):
            d = r[lab]
            if d["n"]:
                figs.append(fig(f"{what}, {name}", d["rate"], d["n"], d["ci95"], r["role"],
                                [base("allow everything", 0.0), base("block everything", 1.0)],
                                note=f"judge reached by {r['judge']['share']:.0%}, judge p50 {r['judge']['p50_ms']} ms; "
                                     f"rules + learned p50 {r['rules_and_learned_ms']['p50']} ms"))
                rows.append((f"{r['role']}: {name} ({'harm' if lab == 'harmful' else 'false'})", d["rate"], d["ci95"]))
    for role, p in out["roles"].items():
        for lab, what in (("harmful", "harmful blocked, pooled"), ("benign", "look-alikes blocked, pooled")):
            if p[lab]["n"]:
                figs.append(fig(f"{what}, {role}", p[lab]["rate"], p[lab]["n"], p[lab]["ci95"], role))
    plot = bars("Request screen: share blocked per set (95 % Wilson)", rows, "share blocked",
                {"95 % target (harm)": 0.95, "3 % cap (false)": 0.03})
    limit = size["screen_limit"]
    return {"title": "Request screen on external benchmarks (tune and sealed)", "simulated": False, "figures": figs, "plots": [plot],
            "command": f"python -m generec bench fidelity --skip watermark,timing --sets {size['screen_sets']}"
                       + (f" --limit {limit}" if limit else ""),
            "notes": ["sealed sets (XSTest, SimpleSafetyTests) are only counted, never read or tuned on",
                      "targets: block >= 95 % of harmful requests, falsely block <= 3 % of look-alikes"]
                     + ([f"a slice: at most {limit} rows per set, evenly spaced"] if limit else [])}


def instructor(settings: Settings, size: dict, log) -> dict:
    from .evaluate import load_requests
    from .fidelity import spread, wilson
    from .instructor import plan_set, request_sets

    figs, rows, notes, confusion = [], [], [], {}
    manifest = request_sets("instructor_")
    sets = [e for e in manifest if e["role"] == "sealed"] + ([e for e in manifest if e["name"] == "instructor_fresh3"] if size["instr_limit"] == 0 else [])
    for e in sets:
        reqs = spread(load_requests(ROOT / e["file"]), size["instr_limit"] or None)
        golds = [r["gold"] for r in reqs]
        majority = max(set(g["action"] for g in golds), key=[g["action"] for g in golds].count)
        k_maj = sum(g["action"] == majority for g in golds)
        for backend in size["instr"]:
            res = plan_set(settings, backend, reqs)
            label = {"rules": "rules alone", "llamacpp": "LLM + reconcile", "llamacpp+alone": "LLM alone"}.get(backend, backend)
            figs.append(fig(f"action accuracy, {label}, {e['name']}", res["action_accuracy"], res["n"], res["action_ci95"], e["role"],
                            [base(f"always `{majority}` (majority)", k_maj / len(golds), wilson(k_maj, len(golds)), len(golds))],
                            note=f"slot F1 {res['slot_f1']:.3f}; plans that fell back to the rules {res['fell_back']:.1%}; "
                                 f"p50 {res['latency_p50_s']:.2f} s"))
            rows.append((f"{label} ({e['name']})", res["action_accuracy"], list(res["action_ci95"])))
            confusion[f"{label} on {e['name']}"] = res["confusion"]
    if "llamacpp" not in size["instr"]:
        notes.append("this size runs the rules only: the LLM rows need `--quick` or the full run")
    plot = bars("Instructor: action accuracy (95 % Wilson)", rows, "action accuracy")
    limit = size["instr_limit"]
    return {"title": "Instructor: request to action (three ways)", "simulated": False, "figures": figs, "plots": [plot],
            "confusion": confusion, "notes": notes,
            "command": "python -m generec bench instructor --requests tests/data/instructor_sealed1.jsonl --backends "
                       + ",".join(size["instr"]) + " --turns 0" + (f" --limit {limit}  (the report spreads the slice over the file)" if limit else "")}


def verdicts_section(settings: Settings, size: dict, log) -> dict | None:
    """The verdict reader on the shipped on-screen sets (tune and sealed; with the right item), and on
    ReDial seeker turns with IARD labels when that set was built into the data dir."""
    from .instructor import request_sets
    from .evaluate import load_requests
    from .verdicts import embedder_and_tags, score

    sets = [(e["name"], ROOT / e["file"], e["role"]) for e in request_sets("verdicts_")]
    iard = settings.data_dir / "eval" / "redial_iard.jsonl"
    embed, tags = embedder_and_tags(settings)
    figs, plot_rows = [], []
    for name, path, role in sets:
        rows = load_requests(path)
        s = score(rows, embed, tags)
        item = s["right_item"]
        aimed = [r for r in rows if r.get("feedback") and r.get("target") is not None and r.get("shown")]
        a, b = s["accuracy"], s["baseline_never_a_verdict"]
        figs.append(fig(f"feedback told from requests and other turns, {name}", a["rate"], a["n"], a["ci95"], role,
                        [base("never a verdict", b["rate"], b["ci95"], b["n"])],
                        note=f"precision {s['precision']['rate']}, recall {s['recall']['rate']}, polarity {s['polarity']['rate']}"))
        figs.append(fig(f"the right shown item, {name}", item["rate"], item["n"], item["ci95"], role,
                        [base("a shown item at random", sum(1 / len(r["shown"]) for r in aimed) / max(1, len(aimed)), None, len(aimed))],
                        note="verdicts with a target the labeller named"))
        plot_rows += [(f"{name}: reader", a["rate"], a["ci95"]), (f"{name}: never a verdict", b["rate"], b["ci95"]),
                      (f"{name}: right item", item["rate"], item["ci95"])]
    if iard.exists():
        rows = load_requests(iard)
        for role in ("tune", "sealed"):
            part = [r for r in rows if r.get("role", "tune") == role]
            if not part:
                continue
            s = score(part)
            a, b = s["accuracy"], s["baseline_never_a_verdict"]
            figs.append(fig(f"feedback told from other turns, ReDial/IARD {role}", a["rate"], a["n"], a["ci95"], role,
                            [base("never a verdict", b["rate"], b["ci95"], b["n"])],
                            note=f"precision {s['precision']['rate']}, recall {s['recall']['rate']}, polarity {s['polarity']['rate']}"))
            plot_rows += [(f"IARD {role}: reader", a["rate"], a["ci95"]), (f"IARD {role}: never a verdict", b["rate"], b["ci95"])]
    return {"title": "Verdicts in words (on-screen sets written by a helper; ReDial seeker turns with IARD labels by other people)",
            "simulated": False, "figures": figs,
            "plots": [bars("Verdicts: accuracy and the right item (95 % Wilson)", plot_rows, "share")],
            "command": "python -m generec bench verdicts --set tests/data/verdicts_sealed1.jsonl --role sealed"
                       + (f"; python -m generec bench verdicts --set {iard} --role all" if iard.exists() else ""),
            "notes": ["the IARD set is non-commercial and not shipped: built by scripts/verdict_set.py into the data dir"]}


def items_section(settings: Settings, size: dict, log) -> dict | None:
    """The item side, scored by independent judges (`bench items`), when that benchmark is installed."""
    try:
        from . import items
    except ImportError:
        return None
    res = items.run(settings, quick=size is not SIZES["full"], log=log)
    figs, rows = [], []
    meta = res.get("meta") or {}
    for sec, entries in res.items():
        if sec == "meta" or not isinstance(entries, dict):
            continue
        for name, d in entries.items():
            if not isinstance(d, dict) or "value" not in d:
                continue
            bl = [base(b, v.get("value"), v.get("ci95"), v.get("n")) for b, v in (d.get("baselines") or {}).items()]
            # edits are judged against simulated users' likes; creations answer requests the project wrote (tune)
            figs.append(fig(f"{sec}: {name}", d["value"], d.get("n", 0), d.get("ci95"), "simulated" if sec in ("thumbnail", "clip") else "tune",
                            bl, note=f"judge: {d.get('judge', '?')}" + "".join(
                                f"; {b}, paired: {_num(v.get('value'))} {_span(v.get('ci95'))}"
                                for b, v in (d.get("paired") or {}).items() if isinstance(v, dict))))
            rows.append((f"{sec}: {name}"[:48], d["value"], d.get("ci95")))
            rows += [(f"  {b}"[:48], v.get("value"), v.get("ci95")) for b, v in (d.get("baselines") or {}).items()]
    return {"title": "Edited and created items, scored by independent judges", "simulated": True, "figures": figs,
            "plots": [bars("Item side (independent judges)", rows, "score")] if rows else [],
            "command": "python -m generec bench items" + (" --quick" if size is not SIZES["full"] else ""),
            "notes": [str(meta.get("users", "")), *(f"judge, {k}: {v}" for k, v in (meta.get("judges") or {}).items())]}


RUNNERS = {"recommender": recommender, "simusers": simusers, "screen": screen, "instructor": instructor,
           "verdicts": verdicts_section, "items": items_section}


# ---------------------------------------------------------------- the report

def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def build(settings: Settings, out_dir: Path, size: str = "full", sections=SECTIONS, log=print, **kw) -> dict:
    """Run the chosen sections and write report.json and report.html into `out_dir`."""
    knobs = SIZES[size]
    report = {"size": size, "commit": _commit(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "threads": settings.threads,
                          "llm": settings.llm}, "sections": {}, "sanity": [], "skipped": {}}
    for name in sections:
        if name == "items" and not knobs["items"]:
            report["skipped"][name] = f"not in the {size} size"
            continue
        log(f"== {name}")
        t0 = time.perf_counter()
        fn = RUNNERS[name]
        sec = fn(settings, knobs, log, **kw.get(name, {}))
        if sec is None:
            report["skipped"][name] = "not available here (its data or benchmark is missing)"
            continue
        sec["seconds"] = round(time.perf_counter() - t0, 1)
        report["sanity"] += sec.pop("checks", [])
        report["sections"][name] = sec
    report["sanity_ok"] = all(c["ok"] for c in report["sanity"])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plain = {**report, "sections": {k: {x: y for x, y in v.items() if x != "plots"} for k, v in report["sections"].items()}}
    (out_dir / "report.json").write_text(json.dumps(plain, indent=1, default=lambda x: x.item() if hasattr(x, "item") else str(x)))
    (out_dir / "report.html").write_text(render(report))
    return report


def _span(ci) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "–"


def _num(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def render(report: dict) -> str:
    """The report as one self-contained HTML page: tables of figures, plots inline as PNG."""
    e = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>GeneRec evaluation report</title><style>"
             "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0 1em;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}"
             "th{background:#f3f3f3}.sim{color:#b35900;font-weight:bold}.ok{color:#1a7f37}.bad{color:#c00;font-weight:bold}"
             "code{background:#f5f5f5;padding:1px 4px}img{max-width:100%}</style></head><body>",
             "<h1>GeneRec evaluation report</h1>",
             f"<p>size <b>{e(report['size'])}</b>, commit <code>{e(report['commit'] or '?')}</code>, {e(report['started'])}; "
             f"machine: {report['machine']['cpus']} CPUs, Python {e(report['machine']['python'])}, "
             f"{report['machine']['threads']} model thread(s), LLM <code>{e(report['machine']['llm'])}</code>.</p>",
             "<p>Every figure: value, n, 95 % interval, the data's role (<i>held-out</i>: real data no model was fitted on; "
             "<i>tune</i>: choices were made looking at it; <i>sealed</i>: only ever counted; <i>simulated</i>: simulated "
             "users), its baselines, and the command that reproduces it.</p>",
             "<h2>Sanity checks</h2><ul>"]
    for c in report["sanity"] or [{"check": "none ran in these sections", "ok": True, "detail": ""}]:
        parts.append(f"<li class='{'ok' if c['ok'] else 'bad'}'>{'holds' if c['ok'] else 'FAILS'}: {e(c['check'])} "
                     f"<span style='color:#555'>({e(c['detail'])})</span></li>")
    parts.append("</ul>")
    for name, sec in report["sections"].items():
        sim = " <span class='sim'>SIMULATED</span>" if sec.get("simulated") else ""
        parts.append(f"<h2>{e(sec['title'])}{sim}</h2><p>Reproduce: <code>{e(sec['command'])}</code> ({sec['seconds']} s here)</p>")
        parts.append("<table><tr><th>figure</th><th>value</th><th>n</th><th>95 %</th><th>role</th><th>baselines (value [95 %])</th><th>note</th></tr>")
        for f in sec["figures"]:
            bl = "<br>".join(f"{e(b['name'])}: {_num(b['value'])} {_span(b['ci95'])}" for b in f["baselines"])
            parts.append(f"<tr><td>{e(f['name'])}</td><td><b>{_num(f['value'])}</b></td><td>{f['n']}</td><td>{_span(f['ci95'])}</td>"
                         f"<td>{e(f['role'])}</td><td>{bl}</td><td>{e(f['note'])}</td></tr>")
        parts.append("</table>")
        for png in sec.get("plots", []):
            parts.append(f"<img alt='{e(name)} plot' src='data:image/png;base64,{png}'>")
        for label, m in (sec.get("confusion") or {}).items():
            cols = sorted({p for row in m.values() for p in row})
            parts.append(f"<p>Confusion, {e(label)} (rows: gold action, columns: planned)</p><table><tr><th></th>"
                         + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr>"
                         + "".join(f"<tr><th>{e(g)}</th>" + "".join(f"<td>{row.get(c, 0)}</td>" for c in cols) + "</tr>" for g, row in m.items())
                         + "</table>")
        if sec.get("notes"):
            parts.append("<ul>" + "".join(f"<li>{e(str(x))}</li>" for x in sec["notes"] if x) + "</ul>")
    if report["skipped"]:
        parts.append("<h2>Not in this report</h2><ul>" + "".join(f"<li>{e(k)}: {e(v)}</li>" for k, v in report["skipped"].items()) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec eval report", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for report.html and report.json")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="smaller slices: minutes")
    g.add_argument("--tiny", action="store_true", help="the smallest setting (make test runs it): scripted users, rules-only instructor")
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma list of " + ",".join(SECTIONS))
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = settings or Settings.from_env()
    wanted = [s.strip() for s in a.sections.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}: choose from {', '.join(SECTIONS)}")
    size = "tiny" if a.tiny else "quick" if a.quick else "full"
    rep = build(settings, a.out, size, wanted)
    print(f"report: {a.out / 'report.html'} and report.json ({len(rep['sections'])} sections; sanity checks "
          f"{'hold' if rep['sanity_ok'] else 'FAIL'})")
    for c in rep["sanity"]:
        print(f"  {'ok ' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
    return 0 if rep["sanity_ok"] else 1
