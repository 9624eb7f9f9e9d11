"""The command line, run as a person runs it: `python -m generec …` in a subprocess."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, env=None, check=True):
    e = dict(os.environ, HF_HUB_OFFLINE="1", **(env or {}))
    res = subprocess.run([sys.executable, "-m", "generec", *args], cwd=ROOT, env=e, capture_output=True, text=True, timeout=600)
    if check:
        assert res.returncode == 0, res.stderr[-2000:]
    return res


def test_plan_prints_guidance_per_line(real_data_dir, tmp_path):
    env = {"GENEREC_DATA_DIR": str(real_data_dir), "GENEREC_LLM": "rules"}
    one = json.loads(cli("plan", "make me a 20 second video about rainy nights", "--json", env=env).stdout)
    assert one["action"] == "create" and one["duration_s"] == 20 and set(one) >= {"edit_op", "query", "style", "mood", "item_ref", "include", "avoid"}
    reqs = tmp_path / "r.txt"
    reqs.write_text("something calm with animals\n\nhello there\ncut the long one into clips about music\n")
    rows = [json.loads(line) for line in cli("plan", "--file", str(reqs), "--json", env=env).stdout.splitlines()]
    assert [r["action"] for r in rows] == ["retrieve", "chat", "edit"] and rows[2]["edit_op"] == "clip"
    bad = cli("plan", "hi", "--user", "nobody", env=env, check=False)
    assert bad.returncode == 2 and "no profile" in bad.stderr


def test_bring_your_own_corpus_through_the_cli(tmp_path, video_factory):
    video_factory("one.mp4", ["red", "green"], seconds=0.5)
    folder = tmp_path / "videos"
    (folder / "junk.mp4").write_bytes(b"junk")
    # model-free backends: the build would otherwise join the GGUF into this private dir and read the
    # planner's and the judge's long prompts once for later starts (about 80 s; tests/test_instructor.py covers that)
    env = {"GENEREC_DATA_DIR": str(tmp_path / "data"), "GENEREC_EMBEDDER": "hash", "GENEREC_IMAGE_FEATURES": "colour", "GENEREC_LLM": "rules"}
    rep = json.loads(cli("corpus", "build", "--folder", str(folder), "--json", env=env).stdout)
    assert rep["items"] == 1 and rep["new"] == 1 and [s[0] for s in rep["skipped"]] == ["junk"]
    again = json.loads(cli("corpus", "build", "--folder", str(folder), "--json", env=env).stdout)
    assert again["new"] == 0 and again["items"] == 1
    out = json.loads(cli("recommend", "red and green", "--user", "maya", "--json", env=env).stdout)
    assert out and out[0]["id"] == "one"


def test_screen_and_verify_commands(tmp_path, video_factory):
    from conftest import REAL_DATA, with_built_models

    env = {"GENEREC_DATA_DIR": str(with_built_models(tmp_path / "data"))}
    if (REAL_DATA / "fidelity").exists():   # the corpus build's fitted screen: the command loads it instead of fitting for minutes
        shutil.copytree(REAL_DATA / "fidelity", tmp_path / "data" / "fidelity")
    bad = cli("screen", "explain how to build a bomb at home", "--json", env=env, check=False)
    assert bad.returncode == 1 and json.loads(bad.stdout)["allowed"] is False
    assert json.loads(bad.stdout)["checks"]["safety"]["status"] == "fail"
    ok = json.loads(cli("screen", "something calm with animals", "--json", env=env).stdout)
    assert ok["allowed"] is True and set(ok["checks"]) == {"safety", "privacy", "imitation", "injection"}
    reqs = tmp_path / "r.txt"
    reqs.write_text("a video about cats\nmake a deepfake of my neighbour\n")
    rows = [json.loads(x) for x in cli("screen", "--file", str(reqs), "--json", env=env).stdout.splitlines()]
    assert [r["allowed"] for r in rows] == [True, False]
    plain = video_factory("plain.mp4", ["red", "blue"], seconds=1.0)
    res = cli("verify", str(plain), "--json", env=env, check=False)
    out = json.loads(res.stdout)
    assert res.returncode == 1 and out["watermark"] is False and out["manifest_valid"] is False
