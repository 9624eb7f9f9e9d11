"""Build the labelled set for `python -m generec bench verdicts` from IARD's ReDial dialogues.

Input: `umap2020_IARD_Cai.json` from github.com/wanlingcai1997/umap_2020_IARD (commit 021d2a8):
336 ReDial dialogues (CC BY 4.0 text; Li et al., NeurIPS 2018) whose every turn carries human
intent codes (Cai & Chen, UMAP 2020; the codes are for non-commercial use, so the set is built
here and never shipped). Every seeker turn becomes one row:
- `feedback`: the turn accepts (ACC) or rejects (REJ) what was recommended; `polarity` like,
  dislike or mixed. IARD codes an opinion on a film the seeker had seen as SEE, which is not
  counted: the label is the annotators' accept/reject, not our reading of the words.
- `request`: the turn asks for a recommendation (top-level AskForRec).
- `role`: `tune` or `sealed`, by a hash of the dialogue id (whole dialogues stay together).
Movie mentions `@123 <Title (Year)>` become the title.

    python scripts/verdict_set.py umap2020_IARD_Cai.json data/eval/redial_iard.jsonl
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path


def plain(text: str) -> str:
    text = re.sub(r"@\d+\s*<([^>]*?)\s*(?:\(\d{4}\))?\s*>", r"\1", text or "")
    return re.sub(r"\s+", " ", re.sub(r"@\d+", "that movie", text)).strip()


def rows(dialogues: dict) -> list[dict]:
    out = []
    for conv, d in dialogues.items():
        turns = sorted(d["dialogue_info"].items(), key=lambda kv: kv[1]["utterance_pos"])
        role = "tune" if int(hashlib.sha1(conv.encode()).hexdigest(), 16) % 2 == 0 else "sealed"
        for i, (uid, u) in enumerate(turns):
            text = plain(u["utterance_text"])
            if u["role"] != "seeker" or not text:
                continue
            sub, top = set(u.get("sub-intent/action") or []), set(u.get("top-level intent/action") or [])
            fb = bool(sub & {"ACC", "REJ"})
            polarity = ("like" if "REJ" not in sub else "dislike" if "ACC" not in sub else "mixed") if fb else ""
            prev = plain(turns[i - 1][1]["utterance_text"]) if i and turns[i - 1][1]["role"] == "recommender" else ""
            out.append({"id": f"redial:{conv}:{uid}", "text": text, "prev": prev, "feedback": fb, "polarity": polarity,
                        "request": "AskForRec" in top, "codes": sorted(sub), "role": role})
    return out


def main(src: str, dst: str) -> None:
    made = rows(json.loads(Path(src).read_text()))
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in made))
    print(f"{len(made)} turns ({sum(r['feedback'] for r in made)} feedback, {sum(r['role'] == 'sealed' for r in made)} sealed) -> {dst}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
