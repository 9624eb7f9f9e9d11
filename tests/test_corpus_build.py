import json

from generec.corpus.build import build_folder, read_manifest


def test_bring_your_own_folder_with_manifest_and_a_corrupt_file(fast_settings, video_factory, tmp_path):
    video_factory("sunset.mp4", ["orange", "red"], seconds=0.5, audio=True)
    video_factory("sub/sea.mkv", ["blue"], seconds=1.0)
    folder = tmp_path / "videos"
    (folder / "broken.mp4").write_bytes(b"\x00" * 1000)
    (folder / "notes.txt").write_text("not a video")
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,title,description,tags,licence\nsunset.mp4,Sunset,An orange then red screen,warm;colour,CC0-1.0\n")
    rep = build_folder(folder, fast_settings, manifest, log=lambda s: None)
    got = {it.id: it for it in rep.items}
    assert set(got) == {"sunset", "sea"}
    assert got["sunset"].title == "Sunset" and got["sunset"].tags == ["warm", "colour"] and got["sunset"].licence == "CC0-1.0"
    assert got["sunset"].has_audio and not got["sea"].has_audio
    assert (fast_settings.data_dir / got["sea"].media_path).suffix == ".mp4"
    assert (fast_settings.data_dir / got["sea"].cover_path).exists()
    skipped = dict(rep.skipped)
    assert "no readable video stream" in skipped["broken"] and "not a video file type" in skipped["notes.txt"]
    again = build_folder(folder, fast_settings, manifest, log=lambda s: None)
    assert again.reused == 2 and [i.id for i in again.items] == [i.id for i in rep.items]


def test_jsonl_manifest_errors_name_the_line(tmp_path):
    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps({"id": "a", "tags": "x;y"}) + "\n{broken\n")
    try:
        read_manifest(p)
    except ValueError as exc:
        assert "line 2" in str(exc)
    else:
        raise AssertionError("a broken line must be reported")


def test_shipped_manifest_describes_enough_real_clips():
    from generec.corpus.build import DEFAULT_MANIFEST

    rows = read_manifest(DEFAULT_MANIFEST)
    assert len(rows) >= 40 and len({r["id"] for r in rows}) == len(rows)
    assert any(r["source"]["path"].endswith("wannaworktogether.mp4") for r in rows)
    for r in rows:
        assert r["title"] and r["description"] and r["tags"] and r["licence"] and r["source"]["package"], r["id"]
