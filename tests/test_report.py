"""`generec eval report`: one report of the evaluation harness, at its tiny size, on the built corpus."""
from __future__ import annotations

import json
import re

from generec.bench import report, simusers


def _figures(rep: dict):
    for name, sec in rep["sections"].items():
        for f in sec["figures"]:
            yield name, f


def test_the_tiny_report_is_written_with_plots_intervals_and_its_sanity_checks(real_settings, tmp_path):
    out = tmp_path / "rep"
    assert report.main(["--out", str(out), "--tiny"], settings=real_settings) == 0
    rep = json.loads((out / "report.json").read_text())
    page = (out / "report.html").read_text()
    assert {"recommender", "simusers", "screen", "instructor"} <= set(rep["sections"])
    # every figure has its n, an interval around its value, a role and a command to reproduce it
    for name, f in _figures(rep):
        assert f["n"] > 0 and f["role"] in ("held-out", "tune", "sealed", "simulated"), (name, f)
        assert f["ci95"][0] <= f["value"] <= f["ci95"][1], (name, f)
        assert rep["sections"][name]["command"].startswith("python -m generec ")
    roles = {f["role"] for name, f in _figures(rep) if name == "screen"}
    assert {"tune", "sealed"} <= roles   # tuned and sealed side by side
    ours = next(f for name, f in _figures(rep) if f["name"].startswith("Success@3, GeneRec") and not f["name"].endswith("needs"))
    assert {"random", "popularity", "oracle", "retrieval only (feed)"} <= {b["name"] for b in ours["baselines"]}
    # the sanity checks ran and hold: random at its expected k/N, the oracle at 1
    checks = {c["check"].split(" holds")[0].split(" is ")[0]: c["ok"] for c in rep["sanity"]}
    assert checks["oracle Success@1"] and checks["random Success@1"] and rep["sanity_ok"]
    # the page is self-contained: one inline plot per section that ran, no outside resource
    assert len(re.findall(r"src='data:image/png;base64,", page)) >= len(rep["sections"])
    assert "SIMULATED" in page and "http://" not in page and "https://" not in page


def test_a_broken_harness_fails_the_report(real_settings, tmp_path, monkeypatch):
    real_run = simusers.run

    def oracle_misses(*a, **kw):   # the real run, then an oracle that no longer finds every film
        out = real_run(*a, **kw)
        out["policies"]["oracle"]["by_need"]["retrieve"]["success_at"][0]["rate"] = 0.5
        return out

    monkeypatch.setattr(simusers, "run", oracle_misses)
    assert report.main(["--out", str(tmp_path / "rep"), "--tiny", "--sections", "simusers"], settings=real_settings) == 1
    rep = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert not rep["sanity_ok"] and "FAILS: oracle Success@1 is 1 (retrieve needs)" in (tmp_path / "rep" / "report.html").read_text()
