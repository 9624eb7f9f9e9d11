"""`bench verdicts` scores the chat's verdict reader against labelled turns; checked on a tiny
labelled file (its rows only exercise the scoring, they measure nothing)."""
from __future__ import annotations

import json

from generec.bench import verdicts as bench


def test_scores_count_what_the_reader_found(tmp_path, capsys):
    rows = [{"text": "I love the second one", "feedback": True, "polarity": "like", "request": False, "role": "tune"},
            {"text": "this is so boring", "feedback": True, "polarity": "like", "request": False, "role": "tune"},   # polarity mislabelled on purpose
            {"text": "show me cats playing", "feedback": False, "polarity": "", "request": True, "role": "tune"},
            {"text": "is it any good?", "feedback": False, "polarity": "", "request": False, "role": "tune"},
            {"text": "love it, more like that please", "feedback": True, "polarity": "like", "request": True, "role": "sealed"}]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert bench.main(["--set", str(path), "--role", "all"]) == 0
    out = json.loads(capsys.readouterr().out)
    tune, sealed = out["tune"], out["sealed"]
    assert tune["accuracy"]["k"] == 4 and tune["accuracy"]["n"] == 4
    assert tune["baseline_never_a_verdict"]["rate"] == 0.5
    assert tune["polarity"] == {"k": 1, "n": 2, "rate": 0.5, "ci95": tune["polarity"]["ci95"]}   # the dislike read as a dislike
    assert tune["requests_kept"]["k"] == 1 and sealed["requests_kept"]["k"] == 1                  # "more like that" is left to plan
    assert sealed["recall"]["k"] == 1 and "tune_mistakes" not in out
    assert bench.main([]) == 0 and "no labelled set" in capsys.readouterr().out


def test_the_right_item_is_scored_through_the_chats_pointer_resolution(tmp_path, capsys, monkeypatch):
    """Rows with the titles on screen and the index a verdict is about: the reader's pointer is
    resolved among them as the chat resolves it (ordinals here, so the model-free embedder will do)."""
    monkeypatch.setenv("GENEREC_EMBEDDER", "hash")
    monkeypatch.setenv("GENEREC_DATA_DIR", str(tmp_path / "no-corpus"))
    shown = ["Kites at the beach", "Dog on a skateboard", "Rainy city street"]
    rows = [{"text": "I love the second one", "shown": shown, "target": 1, "feedback": True, "polarity": "like", "request": False},
            {"text": "the first one is so boring", "shown": shown, "target": 0, "feedback": True, "polarity": "dislike", "request": False},
            {"text": "i liked the third one", "shown": shown, "target": 0, "feedback": True, "polarity": "like", "request": False},  # wrong item
            {"text": "this is great", "shown": shown, "target": None, "feedback": True, "polarity": "like", "request": False},   # no target: not scored
            {"text": "show me kites", "shown": shown, "target": None, "feedback": False, "polarity": "", "request": True}]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert bench.main(["--set", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)["tune"]   # an unlisted file's rows without a role are tune rows
    assert out["right_item"]["k"] == 2 and out["right_item"]["n"] == 3
    assert out["accuracy"]["k"] == 5
