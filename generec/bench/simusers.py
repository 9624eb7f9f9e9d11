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
- Needs no item meets (`--make-share`): those users' films are taken out of the catalogue; the need is
  met when the user accepts an offer to make one. `offer-RULE` policies show the feed's films and
  offer to make one by the chat's rule (`instructor.offer`); the oracle offers at once. Whether the
  made film would be good is the item side's question (`bench items`), not this harness's.
- SIMULATED viewing (`watch`): each shown film is played or skipped, and watched for a share, by its
  genre overlap with the wanted film; the offer rules read these signals as the chat reads the player's.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from ..config import Settings
from .fidelity import wilson
from .recsys import bootstrap_ci

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


def sample_targets(root: Path, n_users: int, seed: int, min_ratings: int = 20, half: str = "") -> list[dict]:
    """Users with enough ratings, sampled with `seed`; each one's last film rated >= 4 stars. `half`:
    `tune` draws only users with an even id, `test` only odd ones, so a rule chosen on one half is
    measured on users it never met."""
    from ..recsys.data import load_ml_latest_small

    r = load_ml_latest_small(root).ratings
    by_user: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    for u, m, stars, t in zip(r.users, r.items, r.weights.tolist(), r.timestamps.tolist()):
        by_user[u].append((int(t), m, stars))
    eligible = sorted(u for u, rs in by_user.items() if len(rs) >= min_ratings and any(s >= 4.0 for _, _, s in rs)
                      and (not half or u % 2 == (half == "test")))
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
    decade, rejects every list and accepts every offer to make one, never naming a title. It has the LLM's `json` call, so the harness runs
    it unchanged. It takes every offer to make a film, so its accept share means nothing; Success@t does."""
    name = "card-reader (scripted, no model)"

    def json(self, system, user, schema, max_tokens=80, examples=()):
        genres = re.search(r"genres: ([^\n]*)", user)
        decade = re.search(r"made in the (\d{4}s)", user)
        want = f"a {genres.group(1) if genres else 'good'} film" + (f" from the {decade.group(1)}" if decade else "")
        if "offers to make" in user:
            return {"intent": "accept", "text": "yes, make me one"}
        return {"intent": "reject" if "showed" in user else "ask", "text": want}


def speaker(settings: Settings, spec: str = ""):
    """The simulated users' voice: `script` (the card reader), an LLM spec, or "" for the chat's LLM."""
    if spec == "script":
        return CardReader()
    from ..llm import load_llm

    return load_llm(settings, spec or settings.llm)


def prepare(settings: Settings, root: Path, work: Path, n_users: int, seed: int, log=print,
            make_share: float = 0.0, half: str = "") -> tuple[Settings, list[dict]]:
    """A MovieLens data dir in `work` built without the held-out ratings (reused when the same
    sample was built there before). A `make_share` of the users get a need no item meets: their
    film is taken out of the catalogue altogether (every rating, tag and link of it)."""
    from ..corpus.movielens import build

    targets = sample_targets(root, n_users, seed, half=half)
    n_make = round(make_share * len(targets))
    make = {targets[i]["movie"] for i in np.random.default_rng(seed + 1).choice(len(targets), size=n_make, replace=False)} if n_make else set()
    for t in targets:   # a film that is gone is gone for every user who wanted it
        t["need"] = "make" if t["movie"] in make else "retrieve"
    key = json.dumps({"root": str(root), "targets": targets}, sort_keys=True)
    s = settings.with_(corpus="movielens", data_dir=work / "data")
    stamp = work / "sample.json"
    if stamp.exists() and stamp.read_text() == key:
        return s, targets
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "ml"
    folder.mkdir(parents=True)
    if (root / "README.txt").exists():
        shutil.copy(root / "README.txt", folder / "README.txt")
    held = {(t["user"], t["movie"]) for t in targets}
    for name in ("movies.csv", "links.csv", "tags.csv", "ratings.csv"):
        if not (root / name).exists():
            continue
        col = 0 if name in ("movies.csv", "links.csv") else 1
        with open(root / name, newline="", encoding="utf-8") as f, open(folder / name, "w", newline="", encoding="utf-8") as g:
            rows = csv.reader(f)
            w = csv.writer(g)
            w.writerow(next(rows))
            w.writerows(r for r in rows if int(r[col]) not in make and (name != "ratings.csv" or (int(r[0]), int(r[1])) not in held))
    t0 = time.perf_counter()
    build(s, root=folder, log=log)
    log(f"simulated users: corpus built without {len(held)} held-out ratings and {len(make)} films no item may meet "
        f"in {time.perf_counter() - t0:.0f} s")
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
    """fn(user, target_id, texts, shown, k) -> item ids. Every `offer-…` policy shows what the feed shows."""
    from ..recsys.profile import build_profile

    def pick(user, target, texts, shown, k):
        if name == "random":
            pool = [i for i in universe if i not in shown]
            return [pool[j] for j in rng.choice(len(pool), size=k, replace=False)]
        rated = {e.item_id for e in store.interactions(user=user)}
        if name == "popularity":
            return [i for i in popular if i not in shown and i not in rated][:k]
        if name == "oracle":
            first = [target] if target in universe else []
            return first + [i for i in popular if i not in shown and i not in rated and i != target][:k - len(first)]
        picks = feed.recommend(build_profile(store, user), text=" ".join(texts), k=k, exclude=tuple(shown))
        return [p.item.id for p in picks]
    return pick


def watch(user: int, item, target) -> tuple[bool, float]:
    """SIMULATED viewing of one shown film: (played, share watched). The film the user wants is played
    to the end; another is played with a chance equal to its genre overlap with that film (Jaccard, j)
    and then watched for j times a share drawn from U(0.2, 0.9). Seeded by user and film, so every
    policy that shows the same film to the same user sees the same viewing."""
    if item.id == target.id:
        return True, 1.0
    a, b = set(item.tags), set(target.tags)
    j = len(a & b) / len(a | b) if a | b else 0.0
    rng = np.random.default_rng(zlib.crc32(f"{user}|{item.id}".encode()))
    if rng.random() >= j:
        return False, 0.0
    return True, round(j * rng.uniform(0.2, 0.9), 3)


OFFER = "\nIt also offers to make a new film just for you, from what you described."


def _rates(hits: list[int | None], turns: int) -> list[dict]:
    n = len(hits)
    out = []
    for t in range(turns):
        k = sum(h is not None and h <= t + 1 for h in hits)
        out.append({"t": t + 1, "rate": round(k / n, 4) if n else None, "ci95": [round(x, 4) for x in wilson(k, n)] if n else None})
    return out


def run(settings: Settings, llm, users: int = 20, turns: int = 5, k: int = 10, seed: int = 0, policies=POLICIES,
        root: Path | None = None, work: Path | None = None, log=print, make_share: float = 0.0, half: str = "") -> dict:
    """Each policy, on the same users. A user's need is met when its film is shown (a `retrieve` need)
    or, for a `make` need (its film taken out of the catalogue), when it accepts an offer to make one.
    Offers come from the `offer-RULE` policies (`instructor.offer.OfferRule`, the rule the chat uses)
    and, for make needs, from the oracle at once. A retrieve need whose user accepts an offer before
    its film was shown ends unmet (counted as `made_instead`)."""
    from ..corpus.movielens import DATASET, _viewer_tags, item_id, load_items, user_name
    from ..instructor.offer import Answer, OfferRule
    from ..recsys.catalog import Catalog
    from ..recsys.feed import Feed
    from ..store import open_store

    root = Path(root or DATASET)
    work = Path(work or settings.data_dir / "eval" / "simusers" / (f"n{users}-s{seed}" + (f"-make{make_share:g}" if make_share else "") + (f"-{half}" if half else "")))
    s, targets = prepare(settings, root, work, users, seed, log, make_share, half)
    store = open_store(s.db_url)
    catalog = Catalog(s, store)
    feed = Feed(catalog, diversity=0.0)
    tags = _viewer_tags(root)
    films = {it.id: it for it in load_items(root)}   # the original catalogue: a make need's film is not in the store
    universe = sorted(it.id for it in store.list_items(visible_to=None))
    counts = Counter(e.item_id for e in store.interactions())
    popular = [i for i, _ in counts.most_common()] + sorted(set(universe) - set(counts))
    out = {"simulated": True, "users": len(targets), "turns": turns, "k": k, "items": len(universe), "seed": seed, "half": half or "all",
           "make_needs": sum(t["need"] == "make" for t in targets), "llm": getattr(llm, "name", "?"), "policies": {}}
    first: dict[int, tuple] = {}   # the opening request does not depend on the policy: asked once per user
    for name in policies:
        rule = OfferRule.parse(name.removeprefix("offer-")) if name.startswith("offer-") else None
        pick = _policy(name, feed, store, popular, np.random.default_rng(seed), universe)
        accepts, verdicts, leaks, leaked, dialogues, offers, made_instead = 0, 0, 0, 0, [], 0, 0
        t0 = time.perf_counter()
        for tg in targets:
            target = item_id(tg["movie"])
            sim = SimUser(llm, films[target], tags.get(tg["movie"], []))
            if tg["user"] not in first:
                first[tg["user"]] = sim.say("Write your first message to the recommender."), sim.leaks, sim.leaked
            said, sim.leaks, sim.leaked = first[tg["user"]]
            texts, shown, hit, log_d, answers = [said["text"]], [], None, [said], []
            for t in range(turns):
                got = pick(user_name(tg["user"]), target, texts, set(shown), k)
                shown += got
                offered = rule(answers) if rule else (name == "oracle" and tg["need"] == "make")
                offers += offered
                on_screen = [store.get_item(i) for i in got]
                seen = [watch(tg["user"], it, films[target]) for it in on_screen]
                best = max((sh for p, sh in seen if p), default=None)
                titles = "; ".join(it.title for it in on_screen)
                ask = f"The recommender showed: {titles}." + (OFFER + "\nGive your verdict: accept if one of these films fits or you "
                                                               "want the new one made." if offered else "\nGive your verdict on these films.")
                verdict = sim.say(ask)
                verdicts += 1
                accepts += verdict["intent"] == "accept"
                answers.append(Answer(said_yes=verdict["intent"] == "accept", said_no=verdict["intent"] == "reject",
                                      played=sum(p for p, _ in seen), best_share=best))
                took_offer = offered and verdict["intent"] == "accept" and target not in got
                log_d.append({"shown": got, "hit": target in got, "offered": offered, "played": answers[-1].played, "best_share": best, **verdict})
                if target in got or (took_offer and tg["need"] == "make"):
                    hit = t + 1
                    break
                if took_offer:
                    made_instead += 1
                    break
                if t + 1 < turns:
                    nxt = sim.say(f"The recommender showed: {titles}.\nNone of them is what you want. Say more precisely what you want.")
                    texts.append(nxt["text"])
                    log_d.append(nxt)
            leaks += sim.leaks
            leaked += sim.leaked
            if sim.leaked:
                continue
            dialogues.append({"user": tg["user"], "target": target, "need": tg["need"], "hit_turn": hit, "turns": log_d})
        n = len(dialogues)
        hits = [d["hit_turn"] for d in dialogues]
        # per user: the mean best share watched of the answers it got (what a player would report); 95 % over users
        ws = [round(float(np.mean([t["best_share"] or 0.0 for t in d["turns"] if "offered" in t])), 4) for d in dialogues]
        res = {"n": n, "leaked_dialogues": leaked, "leaky_replies_caught": leaks, "success_at": _rates(hits, turns),
               "by_need": {need: {"n": sum(d["need"] == need for d in dialogues),
                                  "success_at": _rates([d["hit_turn"] for d in dialogues if d["need"] == need], turns)}
                           for need in ("retrieve", "make") if any(d["need"] == need for d in dialogues)},
               "avg_turns_to_success": round(float(np.mean([h for h in hits if h])), 2) if any(hits) else None,
               "accept_share": round(accepts / verdicts, 4) if verdicts else None, "verdicts": verdicts,
               "offers": offers, "made_instead": made_instead,
               "simulated_watch_share": round(float(np.mean([t["best_share"] or 0.0 for d in dialogues for t in d["turns"]
                                                            if "offered" in t])), 4) if dialogues else None,
               "watch_share_by_user": ws,
               "watch_share_ci95": [round(x, 4) for x in bootstrap_ci(ws)] if ws else None,
               "seconds": round(time.perf_counter() - t0, 1), "dialogues": dialogues}
        if name == "random":
            res["expected_random"] = [round(1 - (1 - k / len(universe)) ** (t + 1), 4) for t in range(turns)]
        out["policies"][name] = res
        log(f"  {name:11s} success@1..{turns}: " + " ".join(f"{x['rate']:.2f}" if x["rate"] is not None else "-" for x in res["success_at"])
            + f"  (n={n}, leaked {leaked}, offers {offers}, made instead {made_instead}, accept share {res['accept_share']}, "
              f"{res['seconds']} s)")
    store.close()
    return out


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    p = argparse.ArgumentParser(prog="generec bench simusers", description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--turns", type=int, default=5)
    p.add_argument("--k", type=int, default=10, help="films shown per turn")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--policies", default=",".join(POLICIES),
                   help="comma list of random, popularity, oracle, feed (retrieval only) and offer-RULE: the feed plus an offer to "
                        "make a film by RULE (never, rejections:N, signals:N; see instructor/offer.py)")
    p.add_argument("--half", choices=("", "tune", "test"), default="", help="draw users from one half only (even ids: tune, odd: test)")
    p.add_argument("--make-share", type=float, default=0.0, help="share of users whose film is taken out of the catalogue")
    p.add_argument("--llm", default="", help="the simulated users' LLM (default: GENEREC_LLM); `script`: the scripted card reader")
    p.add_argument("--json", help="write the whole result, dialogues included, to this file")
    a = p.parse_args(argv)
    settings = settings or Settings.from_env()
    llm = speaker(settings, a.llm)
    print(f"SIMULATED users ({a.users}, seed {a.seed}) on MovieLens ml-latest-small; {a.turns} turns, {a.k} films a turn; user LLM {llm.name}")
    out = run(settings, llm, a.users, a.turns, a.k, a.seed, [x for x in a.policies.split(",") if x], make_share=a.make_share, half=a.half)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    return 0
