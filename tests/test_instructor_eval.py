"""The labelled instructor requests are well formed, and the scorer counts what it claims to."""
from collections import Counter
from pathlib import Path

import pytest

from generec.bench.evaluate import load_requests, report_table, run, score
from generec.instructor.guidance import ACTIONS, EDIT_OPS, Guidance

DATA = Path(__file__).parent / "data" / "instructor_requests.jsonl"


@pytest.fixture(scope="module")
def rows():
    return load_requests(DATA)


def blank(action="retrieve", **kw):
    return {**Guidance(action=action).to_dict(), **kw}


def test_dataset_is_large_balanced_and_round_trips(rows):
    assert len(rows) >= 150
    assert len({r["text"] for r in rows}) == len(rows), "duplicate request texts"
    for r in rows:
        assert r["text"].strip() and isinstance(r.get("tags", []), list)
        ctx = r.get("context", {})
        assert ctx.get("has_upload") in (None, "image", "video", "audio")
        assert all(s["id"] and s["title"] for s in ctx.get("shown", []))
        assert Guidance.parse(r["gold"]).to_dict() == r["gold"], r["text"]
    actions = Counter(r["gold"]["action"] for r in rows)
    ops = Counter(r["gold"]["edit_op"] for r in rows if r["gold"]["action"] == "edit")
    assert all(actions[a] >= 20 for a in ACTIONS), actions
    assert all(ops[o] >= 8 for o in EDIT_OPS), ops


def test_follow_ups_have_something_to_refer_to(rows):
    for r in rows:
        if "follow_up" in r["tags"]:
            assert r["context"]["shown"] and r["gold"]["item_ref"], r["text"]
        if "upload" in r["tags"]:
            assert r["context"]["has_upload"], r["text"]


def test_gold_against_itself_is_perfect(rows):
    golds = [r["gold"] for r in rows]
    res = score(golds, [dict(g) for g in golds])
    assert res["action_accuracy"] == res["edit_op_accuracy"] == res["slot_f1"] == 1.0
    assert sum(res["confusion"][a][a] for a in ACTIONS) == len(rows) and res["invalid"] == 0


def test_hand_made_case_counts_tp_fp_fn():
    golds = [
        blank(query="calm animals", mood="calm", avoid=["music"]),
        blank("edit", edit_op="clip", item_ref="that one", duration_s=15),
        blank("chat"),
    ]
    preds = [
        # query: tokens {calm, animal} vs {animal} -> F1 0.67 TP; mood TP; avoid: music TP, cartoons FP
        blank(query="some animals", mood="calm", avoid=["Music", "cartoons"]),
        # edit_op wrong; item_ref TP; duration 16 within 10% TP; style predicted, gold null -> FP
        blank("edit", edit_op="restyle", item_ref="that one", duration_s=16, style="noir"),
        None,  # planner failed: invalid action, no slots to miss
    ]
    res = score(golds, preds)
    assert res["action_accuracy"] == pytest.approx(2 / 3)
    assert res["edit_op_accuracy"] == 0.0
    assert res["confusion"]["chat"]["invalid"] == 1 and res["confusion"]["edit"]["edit"] == 1
    s = res["slots"]
    assert (s["query"]["tp"], s["mood"]["tp"], s["item_ref"]["tp"], s["duration_s"]["tp"]) == (1, 1, 1, 1)
    assert (s["avoid"]["tp"], s["avoid"]["fp"], s["style"]["fp"]) == (1, 1, 1)
    # tp=5, fp=2, fn=0 -> precision 5/7, recall 1
    assert res["slot_f1"] == pytest.approx(2 * (5 / 7) / (5 / 7 + 1))


def test_wrong_values_and_misses():
    golds = [blank(query="dog", duration_s=60, include=["narration"], item_ref="the second one")]
    preds = [blank(query="robot factory", duration_s=30, item_ref=None)]
    s = score(golds, preds)["slots"]
    assert (s["query"]["fp"], s["query"]["fn"]) == (1, 1)        # wrong value = FP + FN
    assert (s["duration_s"]["fp"], s["duration_s"]["fn"]) == (1, 1)
    assert s["include"]["fn"] == 1 and s["item_ref"]["fn"] == 1
    assert s["mood"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 0, "fp": 0, "fn": 0}


def test_run_times_each_call_and_survives_errors(rows):
    def planner(text, context):
        if "bob" in text:
            raise RuntimeError("boom")
        return Guidance(action="chat")

    sample = rows[:5] + [r for r in rows if "bob" in r["text"]]
    preds, lat = run(planner, sample)
    assert len(preds) == len(lat) == len(sample) and all(t >= 0 for t in lat)
    assert preds[-1] is None and preds[0] == Guidance(action="chat").to_dict()
    table = report_table({"always-chat": score([r["gold"] for r in sample], preds, lat)})
    assert "always-chat" in table and "slotF1" in table and len(table.splitlines()) == 3


def test_held_out_set_is_well_formed_and_new(rows):
    """tests/data/instructor_heldout.jsonl was written after the prompt was tuned and never used to tune it."""
    held = load_requests(DATA.with_name("instructor_heldout.jsonl"))
    assert len(held) >= 40 and not {r["text"] for r in held} & {r["text"] for r in rows}
    for r in held:
        assert Guidance.parse(r["gold"]).to_dict() == r["gold"], r["text"]
        if "follow_up" in r["tags"]:
            assert r["context"]["shown"] and r["gold"]["item_ref"], r["text"]
    assert set(Counter(r["gold"]["action"] for r in held)) == set(ACTIONS)


def test_the_model_alone_is_measured_without_the_cue_word_corrections(tmp_path, capsys):
    """`+alone` plans with the model's answer as it is; the default corrects it by the cue words.
    The bench names the set's role and how many plans fell back to the rules."""
    import json

    from generec.bench.instructor import _planner, main, role_of
    from generec.config import Settings
    from generec.instructor.planner import Planner
    from generec.llm.fake import FakeLLM

    always_chat = lambda *a: {"action": "chat"}   # noqa: E731 - a model that never sees a search
    text = "do you have anything with tractors"
    assert Planner(FakeLLM(respond=always_chat)).plan(text).guidance.action == "retrieve"
    assert Planner(FakeLLM(respond=always_chat), check=False).plan(text).guidance.action == "chat"
    assert _planner(Settings(llm="fake"), "fake+alone").check is False and _planner(Settings(llm="fake"), "fake+plain").check is True

    reqs = tmp_path / "reqs.jsonl"
    reqs.write_text(json.dumps({"text": text, "gold": blank("retrieve", query="tractors")}) + "\n")
    assert role_of(reqs) == "unlisted" and role_of(DATA) == "tune"
    assert main(["--backends", "rules", "--requests", str(reqs), "--turns", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["role"] == "unlisted" and out["backends"]["rules"]["fell_back"] == 0.0
    assert out["backends"]["rules"]["confusion"]["retrieve"]["retrieve"] == 1


def test_every_instructor_set_has_one_role_and_true_counts():
    import json

    manifest = json.loads((DATA.parent / "MANIFEST.json").read_text())
    listed = {e["file"] for e in manifest}
    on_disk = {f"tests/data/{p.name}" for p in DATA.parent.glob("instructor_*.jsonl")}
    assert on_disk <= listed, f"instructor sets with no role: {sorted(on_disk - listed)}"
    assert len(listed) == len(manifest)
    for e in manifest:
        assert e["role"] in ("train", "tune", "sealed"), e
        assert len(load_requests(DATA.parents[2] / e["file"])) == e["rows"], e["name"]
