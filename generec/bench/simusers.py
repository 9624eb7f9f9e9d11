"""`generec bench simusers`: SIMULATED users ask for a held-out film they cannot name; Success@t per policy.

Each policy has a few turns to show the film. Everything this prints is labelled simulated.

- Needs come from real logs (MovieLens ml-latest-small): for each sampled user, the last film they
  rated 4 stars or more is held out. The recommender is fitted on a copy of the dataset without
  those ratings (`prepare`), so no policy has seen them.
- The simulated user sees only an attribute card of that film (`card`: genres, decade, viewers'
  tags with the title's words removed) and speaks through an LLM (the bundled one by default)
  under a JSON schema `{intent: ask|reject|accept|chitchat, text}`. After each answer it is shown
  the titles and gives its verdict in the same form.
- A leak guard (`names_target`) rejects a reply that names the film (its title's words, or its
  item id) and asks again, twice at most; a dialogue that still leaks is counted and left out of
  the scores.
- Policies, one run, same users, fixed seeds: `random`, `popularity` (most rated, unseen),
  `oracle` (the held-out film first: the harness's upper bound), `feed` (GeneRec's retrieval: the
  app's own Feed ranking the whole conversation, personalised by the user's history). Success@t
  is the share of users whose film was shown by turn t, with Wilson 95 % intervals; random should
  land near 1 - (1 - k/N)^t and the oracle at 1, or the harness is broken.
- Not yet here: GeneRec's edit/create actions (needs a target no item meets), simulated watch time.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from ..config import Settings
from .fidelity import wilson

INTENTS = ("ask", "reject", "accept", "chitchat")
SCHEMA = {"type": "object", "properties": {"intent": {"type": "string", "enum": list(INTENTS)},
                                           "text": {"type": "string", "maxLength": 200}}, "required": ["intent", "text"]}
SYSTEM = ("You play a SIMULATED person chatting with a film recommender, in a test. Each message gives you the film you "
          "are in the mood for, as a list of qualities, and tells you what just happened. You do not know the film's title: "
          "never write a title, a character or an actor. Write like a person typing in a chat, in your own words, one or two "
          "short sentences; pick one or two qualities at a time rather than reciting the list. Reply in JSON with your intent "
          "and your text: \"ask\" for a request, \"reject\" when the films shown are not what you want (then say a little more "
          "about what you want), \"accept\" when one of them fits, \"chitchat\" for anything else.")
# worked examples (written for this prompt, about films that are not in any evaluation)
EXAMPLES = [("You want a film with these qualities:\n- genres: comedy, romance\n- made in the 1980s\n- viewers describe it as: "
             "new york, witty\nWrite your first message to the recommender.",
             '{"intent": "ask", "text": "got any witty 80s romcoms? ideally set in a big city"}'),
            ("You want a film with these qualities:\n- genres: horror\n- made in the 2010s\n- viewers describe it as: slow burn, "
             "folk horror\nThe recommender showed: three loud slasher films.\nNone of them is what you want. Say more precisely what "
             "you want.", '{"intent": "reject", "text": "not slashers - something creepier and slower, more folk horror"}')]
POLICIES = ("random", "popularity", "oracle", "feed")
_STOP = set("the a an of and in on to for with from at by is it his her their my your our la le les de des el los das der die und".split())


def words(text: str) -> set[str]:
    """Content words, a plural's trailing s dropped ("toys" is "toy")."""
    return {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
            for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 2}


def title_words(title: str) -> set[str]:
    return words(re.sub(r"\(\d{4}\)\s*$", "", title))


def names_target(text: str, title: str, item_id: str) -> bool:
    """A reply names the target: its id, its title whole, or every (and at least one) content word of it."""
    low, tw = text.lower(), title_words(title)
    bare = re.sub(r"\s*\(\d{4}\)\s*$", "", title).lower().strip()
    return item_id.lower() in low or (len(bare) > 3 and bare in low) or (bool(tw) and tw <= words(text))


def card(item, viewer_tags: list[str]) -> str:
    """What the simulated user knows of its film: genres, decade, viewers' tags without the title's words."""
    year = re.search(r"\((\d{4})\)\s*$", item.title)
    tw = title_words(item.title)
    tags = [t for t in viewer_tags if not (words(t) & tw)][:5]
    lines = [f"- genres: {', '.join(item.tags) or 'not listed'}"]
    if year:
        lines.append(f"- made in the {int(year.group(1)) // 10 * 10}s")
    if tags:
        lines.append(f"- viewers describe it as: {', '.join(tags)}")
    return "\n".join(lines)


def sample_targets(root: Path, n_users: int, seed: int, min_ratings: int = 20) -> list[dict]:
    """Users with enough ratings, sampled with `seed`; each one's last film rated >= 4 stars."""
    from ..recsys.data import load_ml_latest_small

    r = load_ml_latest_small(root).ratings
    by_user: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    for u, m, stars, t in zip(r.users, r.items, r.weights.tolist(), r.timestamps.tolist()):
        by_user[u].append((int(t), m, stars))
    eligible = sorted(u for u, rs in by_user.items() if len(rs) >= min_ratings and any(s >= 4.0 for _, _, s in rs))
    rng = np.random.default_rng(seed)
    users = sorted(rng.choice(eligible, size=min(n_users, len(eligible)), replace=False).tolist())
    out = []
    for u in users:
        t, movie, _ = max((t, m, s) for t, m, s in by_user[u] if s >= 4.0)
        out.append({"user": u, "movie": movie, "at": t})
    return out


def cut_movielens(root: Path, dst: Path, films: int = 150, users: int = 40) -> Path:
    """A small real slice of a MovieLens folder: its `films` most-rated films, and the `users` users
    who rated most of them (their ratings of those films only). For quick runs and tests."""
    with open(root / "ratings.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    keep_f = {m for m, _ in Counter(r[1] for r in rows).most_common(films)}
    rows = [r for r in rows if r[1] in keep_f]
    keep_u = {u for u, _ in Counter(r[0] for r in rows).most_common(users)}
    dst.mkdir(parents=True, exist_ok=True)
    with open(dst / "ratings.csv", "w", newline="", encoding="utf-8") as g:
        csv.writer(g).writerows([head] + [r for r in rows if r[0] in keep_u])
    for name in ("movies.csv", "links.csv", "tags.csv"):
        if (root / name).exists():
            with open(root / name, newline="", encoding="utf-8") as f, open(dst / name, "w", newline="", encoding="utf-8") as g:
                src = csv.reader(f)
                w = csv.writer(g)
                w.writerow(next(src))
                w.writerows(r for r in src if r[1 if name == "tags.csv" else 0] in keep_f)
    return dst


class CardReader:
    """A SCRIPTED simulated user for quick runs and tests (no model): it asks for its card's genres and
    decade, and rejects every list, never naming a title. It has the LLM's `json` call, so the harness runs
    it unchanged; its accept share is 0 by construction, so only Success@t means anything with it."""
    name = "card-reader (scripted, no model)"

    def json(self, system, user, schema, max_tokens=80, examples=()):
        genres = re.search(r"genres: ([^\n]*)", user)
        decade = re.search(r"made in the (\d{4}s)", user)
        want = f"a {genres.group(1) if genres else 'good'} film" + (f" from the {decade.group(1)}" if decade else "")
        return {"intent": "reject" if "showed" in user else "ask", "text": want}


def prepare(settings: Settings, root: Path, work: Path, n_users: int, seed: int, log=print) -> tuple[Settings, list[dict]]:
    """A MovieLens data dir in `work` built without the held-out ratings (reused when the same
    sample was built there before)."""
    from ..corpus.movielens import build

    targets = sample_targets(root, n_users, seed)
    key = json.dumps({"root": str(root), "targets": targets}, sort_keys=True)
    s = settings.with_(corpus="movielens", data_dir=work / "data")
    stamp = work / "sample.json"
    if stamp.exists() and stamp.read_text() == key:
        return s, targets
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "ml"
    folder.mkdir(parents=True)
    for name in ("movies.csv", "links.csv", "tags.csv", "README.txt"):
        if (root / name).exists():
            shutil.copy(root / name, folder / name)
    held = {(t["user"], t["movie"]) for t in targets}
    with open(root / "ratings.csv", newline="", encoding="utf-8") as f, open(folder / "ratings.csv", "w", newline="", encoding="utf-8") as g:
        rows = csv.reader(f)
        w = csv.writer(g)
        w.writerow(next(rows))
        w.writerows(r for r in rows if (int(r[0]), int(r[1])) not in held)
    t0 = time.perf_counter()
    build(s, root=folder, log=log)
    log(f"simulated users: corpus built without {len(held)} held-out ratings in {time.perf_counter() - t0:.0f} s")
    stamp.write_text(key)
    return s, targets


class SimUser:
    """One SIMULATED user: speaks about its card through `llm`, never naming the target (leak guard)."""

    def __init__(self, llm, item, tags: list[str], retries: int = 2):
        self.llm, self.item, self.retries = llm, item, retries
        self.card = f"You want a film with these qualities:\n{card(item, tags)}\n"   # in each message: the system prompt stays one cached prefix
        self.leaks = 0          # replies that named the film, caught and asked again
        self.leaked = False     # a reply still named it after the retries: the dialogue is left out

    def say(self, prompt: str) -> dict:
        from ..llm.base import LLMError

        ask = prompt
        for attempt in range(self.retries + 1):
            try:
                out = self.llm.json(SYSTEM, self.card + ask, SCHEMA, max_tokens=80, examples=EXAMPLES)
            except LLMError as exc:
                out = {"intent": "chitchat", "text": "", "error": str(exc)[:80]}
            intent = out.get("intent") if out.get("intent") in INTENTS else "chitchat"
            reply = {"intent": intent, "text": str(out.get("text") or "")[:300]}
            # naming the film is a leak only before the recommender has shown it: a verdict may name what is on screen
            if self.item.title in prompt or not names_target(reply["text"], self.item.title, self.item.id):
                return reply
            self.leaks += 1
            ask = prompt + "\nYour last reply named a title. Describe what you want without any title or name."
        self.leaked = True
        return reply


def _policy(name: str, feed, store, popular: list[str], rng, universe: list[str]):
    """fn(user, target_id, texts, shown, k) -> item ids."""
    from ..recsys.profile import build_profile

    def pick(user, target, texts, shown, k):
        if name == "random":
            pool = [i for i in universe if i not in shown]
            return [pool[j] for j in rng.choice(len(pool), size=k, replace=False)]
        rated = {e.item_id for e in store.interactions(user=user)}
        if name == "popularity":
            return [i for i in popular if i not in shown and i not in rated][:k]
        if name == "oracle":
            return [target] + [i for i in popular if i not in shown and i not in rated and i != target][:k - 1]
        picks = feed.recommend(build_profile(store, user), text=" ".join(texts), k=k, exclude=tuple(shown))
        return [p.item.id for p in picks]
    return pick


def run(settings: Settings, llm, users: int = 20, turns: int = 5, k: int = 10, seed: int = 0, policies=POLICIES,
        root: Path | None = None, work: Path | None = None, log=print) -> dict:
    from ..corpus.movielens import DATASET, _viewer_tags, item_id, user_name
    from ..recsys.catalog import Catalog
    from ..recsys.feed import Feed
    from ..store import open_store

    root = Path(root or DATASET)
    work = Path(work or settings.data_dir / "eval" / "simusers" / f"n{users}-s{seed}")
    s, targets = prepare(settings, root, work, users, seed, log)
    store = open_store(s.db_url)
    catalog = Catalog(s, store)
    feed = Feed(catalog, diversity=0.0)
    tags = _viewer_tags(root)
    universe = sorted(it.id for it in store.list_items(visible_to=None))
    counts = Counter(e.item_id for e in store.interactions())
    popular = [i for i, _ in counts.most_common()] + sorted(set(universe) - set(counts))
    out = {"simulated": True, "users": len(targets), "turns": turns, "k": k, "items": len(universe), "seed": seed,
           "llm": getattr(llm, "name", "?"), "policies": {}}
    first: dict[int, tuple] = {}   # the opening request does not depend on the policy: asked once per user
    for name in policies:
        pick = _policy(name, feed, store, popular, np.random.default_rng(seed), universe)
        hits_at = np.zeros(turns, int)
        turns_to, accepts, verdicts, leaks, leaked, dialogues = [], 0, 0, 0, 0, []
        t0 = time.perf_counter()
        for tg in targets:
            target = item_id(tg["movie"])
            sim = SimUser(llm, store.get_item(target), tags.get(tg["movie"], []))
            if tg["user"] not in first:
                first[tg["user"]] = sim.say("Write your first message to the recommender."), sim.leaks, sim.leaked
            said, sim.leaks, sim.leaked = first[tg["user"]]
            texts, shown, hit, log_d = [said["text"]], [], None, [said]
            for t in range(turns):
                got = pick(user_name(tg["user"]), target, texts, set(shown), k)
                shown += got
                if target in got and hit is None:
                    hit = t
                titles = "; ".join(store.get_item(i).title for i in got)
                verdict = sim.say(f"The recommender showed: {titles}.\nGive your verdict on these films.")
                verdicts += 1
                accepts += verdict["intent"] == "accept"
                log_d.append({"shown": got, "hit": target in got, **verdict})
                if hit is not None:
                    break
                if t + 1 < turns:
                    nxt = sim.say(f"The recommender showed: {titles}.\nNone of them is what you want. Say more precisely what you want.")
                    texts.append(nxt["text"])
                    log_d.append(nxt)
            leaks += sim.leaks
            leaked += sim.leaked
            if sim.leaked:
                continue
            if hit is not None:
                hits_at[hit:] += 1
                turns_to.append(hit + 1)
            dialogues.append({"user": tg["user"], "target": target, "hit_turn": None if hit is None else hit + 1, "turns": log_d})
        n = len(dialogues)
        res = {"n": n, "leaked_dialogues": leaked, "leaky_replies_caught": leaks,
               "success_at": [{"t": t + 1, "rate": round(hits_at[t] / n, 4) if n else None,
                               "ci95": [round(x, 4) for x in wilson(int(hits_at[t]), n)] if n else None} for t in range(turns)],
               "avg_turns_to_success": round(float(np.mean(turns_to)), 2) if turns_to else None,
               "accept_share": round(accepts / verdicts, 4) if verdicts else None, "verdicts": verdicts,
               "seconds": round(time.perf_counter() - t0, 1), "dialogues": dialogues}
        if name == "random":
            res["expected_random"] = [round(1 - (1 - k / len(universe)) ** (t + 1), 4) for t in range(turns)]
        out["policies"][name] = res
        log(f"  {name:11s} success@1..{turns}: " + " ".join(f"{x['rate']:.2f}" if x["rate"] is not None else "-" for x in res["success_at"])
            + f"  (n={n}, leaked {leaked}, accept share {res['accept_share']}, {res['seconds']} s)")
    store.close()
    return out


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    p = argparse.ArgumentParser(prog="generec bench simusers", description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--turns", type=int, default=5)
    p.add_argument("--k", type=int, default=10, help="films shown per turn")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--policies", default=",".join(POLICIES))
    p.add_argument("--llm", default="", help="the simulated users' LLM (default: GENEREC_LLM); `script`: the scripted card reader")
    p.add_argument("--json", help="write the whole result, dialogues included, to this file")
    a = p.parse_args(argv)
    from ..llm import load_llm

    settings = settings or Settings.from_env()
    llm = CardReader() if a.llm == "script" else load_llm(settings, a.llm or settings.llm)
    print(f"SIMULATED users ({a.users}, seed {a.seed}) on MovieLens ml-latest-small; {a.turns} turns, {a.k} films a turn; user LLM {llm.name}")
    out = run(settings, llm, a.users, a.turns, a.k, a.seed, [x for x in a.policies.split(",") if x])
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    return 0
