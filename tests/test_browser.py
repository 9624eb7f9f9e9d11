"""The chat in a real headless Chromium (Debian's, through playwright): type, watch, 👍/👎, upload.

The app runs in this process on a free loopback port against this module's own copy of the
real corpus (made from `real_data_dir`); what the clicks store is read back from its database.
"""
from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from app_server import InProcessApp, private_copy

pytestmark = pytest.mark.timeout(180, func_only=True)  # app start + LLM warm-up are bounded in InProcessApp

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
REQUEST = "something calm with animals"
PHOTO = Path(__file__).resolve().parent.parent / ".venv/lib/python3.11/site-packages/gradio/media_assets/images/cheetah.jpg"
SHOT = "/tmp/generec_browser.png"
WAIT_MS = 120_000   # a turn plans with the local LLM on a shared CPU


@pytest.fixture(scope="module")
def app_data(real_data_dir, tmp_path_factory) -> Path:
    """This module's own copy of the corpus: media as real files, so nothing the app makes reaches
    the developer's data dir through real_data_dir's media link."""
    return private_copy(real_data_dir, tmp_path_factory.mktemp("app") / "data")


@pytest.fixture(scope="module")
def server(app_data):
    from generec.config import Settings

    with InProcessApp(Settings(data_dir=app_data, threads=1)) as srv:
        yield srv


@pytest.fixture(scope="module")
def store(server):
    from generec.store import open_store

    s = open_store(server.settings.db_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Page:
    """A fresh browser context on the app, recording every request that leaves loopback."""

    def __init__(self, browser, url: str):
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.outside: list[str] = []
        self.page.on("request", self._seen)
        self.page.goto(url)
        self.page.wait_for_selector("#box textarea")

    def _seen(self, req) -> None:
        u = urlparse(req.url)
        if u.scheme in ("data", "blob", "about"):
            return
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            self.outside.append(req.url)

    def close(self) -> None:
        self.ctx.close()


@pytest.fixture
def web(browser, server):
    p = Page(browser, server.url)
    yield p
    p.close()


@contextlib.contextmanager
def screenshot_on_failure(web: Page):
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            web.page.screenshot(path=SHOT, full_page=True)
        raise


def n_videos(page) -> int:
    return page.locator("#chat video").count()


def send(page, text: str = "", photo: Path | None = None, expect_videos: int = 0) -> None:
    """Submit the box and wait until the answer is complete (the box is usable again). The
    message's own row shows with the turn's first update, which also locks the box: until it
    shows, a still-usable box says nothing about the answer."""
    before = n_videos(page)
    rows = page.locator("#chat .message-row").count()
    if photo is not None:
        page.set_input_files("#box input[type=file]", str(photo))
        # the attachment is uploaded before the message can go
        page.wait_for_function("() => !document.querySelector('#box textarea').disabled && "
                               "document.querySelectorAll('#box img, #box .thumbnail-item').length > 0")
    page.fill("#box textarea", text)
    page.press("#box textarea", "Enter")
    page.wait_for_function("n => document.querySelectorAll('#chat .message-row').length > n", arg=rows)
    page.wait_for_function("n => document.querySelectorAll('#chat video').length >= n", arg=before + expect_videos)
    page.wait_for_function("() => { const t = document.querySelector('#box textarea'); return t && !t.disabled; }")
    page.wait_for_function("() => !document.querySelector('#chat .pending')")


def item_rows(page) -> list:
    """Message rows that hold a video, in order."""
    rows = page.locator("#chat .message-row")
    return [rows.nth(i) for i in range(rows.count()) if rows.nth(i).locator("video").count()]


def thumb(page, row, label: str):
    """The Like/Dislike button under a message row (buttons are the row's following siblings)."""
    tag = f"t{uuid.uuid4().hex[:8]}"
    found = row.evaluate("""(row, [label, tag]) => {
        for (let e = row.nextElementSibling; e && !e.classList.contains('message-row'); e = e.nextElementSibling) {
            const b = e.querySelector(`button[aria-label="${label}"]`);
            if (b) { b.setAttribute('data-thumb', tag); return true; }
        }
        return false; }""", [label, tag])
    assert found, f"no {label} button under this message"
    return page.locator(f'[data-thumb="{tag}"]')


def item_of(row, store):
    """The item a video row plays: its src names `<item id>.mp4` under the app's checked media route."""
    src = row.locator("video").get_attribute("src")
    return store.get_item(Path(urlparse(src).path).stem)


def poll(fn, seconds: float = 10.0, every: float = 0.2):
    """fn() until it is truthy or the deadline passes; returns the last value."""
    end = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(every)


def profile_line(page, label: str) -> str:
    for line in page.inner_text("#profile-md").splitlines():
        if line.strip().startswith(f"{label}:"):
            return line
    return ""


def create_profile(page, name: str) -> None:
    page.fill("#new-profile textarea, #new-profile input", name)
    page.click("#create-profile")
    page.wait_for_function("n => document.querySelector('#profile-md').innerText.includes(n)", arg=name)


def test_watch_like_and_dislike_in_the_browser(web, store):
    page = web.page
    name = f"web{uuid.uuid4().hex[:6]}"
    with screenshot_on_failure(web):
        create_profile(page, name)  # a fresh profile: nothing liked yet, so the panel change is ours
        assert profile_line(page, "Likes").strip().endswith("—")

        send(page, REQUEST, expect_videos=1)
        rows = item_rows(page)
        assert len(rows) >= 2, page.inner_text("#chat")

        # the first video really loads and plays
        playing = rows[0].evaluate("""async row => {
            const v = row.querySelector('video'); v.muted = true;
            try { await v.play(); } catch (e) { return 'play() failed: ' + e; }
            return 'ok'; }""")
        assert playing == "ok", playing
        page.wait_for_function("el => { const v = el.querySelector('video'); return v.currentTime > 0 && v.readyState >= 2 && !v.error; }",
                               arg=rows[0].element_handle(), timeout=30_000)

        t0 = time.time() - 1
        liked = item_of(rows[0], store)
        thumb(page, rows[0], "Like").click()
        me = f"owner--{name}"   # the local owner's extra profile
        stored = poll(lambda: store.interactions(user=me, kinds=["like"], item_id=liked.id, since=t0))
        assert len(stored) == 1, f"no like row for {liked.id}"
        page.wait_for_function("t => [...document.querySelector('#profile-md').innerText.split('\\n')]"
                               ".some(l => l.trim().startsWith('Likes:') && l.includes(t))", arg=liked.title, timeout=15_000)

        disliked = item_of(rows[1], store)
        assert disliked.id != liked.id
        thumb(page, rows[1], "Dislike").click()
        assert poll(lambda: store.interactions(user=me, kinds=["dislike"], item_id=disliked.id, since=t0)), \
            f"no dislike row for {disliked.id}"
        page.wait_for_function("t => [...document.querySelector('#profile-md').innerText.split('\\n')]"
                               ".some(l => l.trim().startsWith('Dislikes:') && l.includes(t))", arg=disliked.title, timeout=15_000)

        # The same request again. With the like alone the second item comes back (the like pulls
        # similar animal clips up); after the 👎 it must not.
        first_answer = len(rows)
        send(page, REQUEST, expect_videos=1)
        again = [item_of(r, store).id for r in item_rows(page)[first_answer:]]
        assert again, page.inner_text("#chat")
        assert disliked.id not in again, again
        assert web.outside == [], web.outside


def test_the_player_reports_watch_time_completion_and_skips(web, store):
    """Play the first video for about 3 s and pause: a `watch` row of about 3 s. Play a short one
    to its end: the watch rows reach its length (the player said `complete`). Send the next
    message without playing the rest: they are stored as skipped. All under the profile in use."""
    import json

    page = web.page
    name = f"sig{uuid.uuid4().hex[:6]}"
    reports = []
    page.on("request", lambda r: reports.append(json.loads(r.post_data)) if r.url.endswith("/signals") and r.method == "POST" else None)
    with screenshot_on_failure(web):
        create_profile(page, name)
        me = f"owner--{name}"
        t0 = time.time() - 1
        send(page, "abstract music visualizers", expect_videos=1)   # clips of 5.6-22 s: long enough to watch 3 s of
        rows = item_rows(page)
        assert len(rows) >= 3, page.inner_text("#chat")
        items = [item_of(r, store) for r in rows]
        page.wait_for_function("() => window.generecPlayer && [...document.querySelectorAll('#chat video')].every(v => v.readyState >= 1)",
                               timeout=30_000)

        # the first video, about 3 s, then paused (played from the start: a long one is cut short)
        first, row = items[0], rows[0]
        assert first.duration_s > 4.0, f"the first answer's first video is only {first.duration_s} s long"
        row.evaluate("async row => { const v = row.querySelector('video'); v.muted = true; await v.play(); }")
        page.wait_for_function("el => el.querySelector('video').currentTime >= 3.0", arg=row.element_handle(), timeout=30_000, polling=50)
        at_pause = row.evaluate("row => { const v = row.querySelector('video'); v.pause(); return v.currentTime; }")
        watched = poll(lambda: store.interactions(user=me, kinds=["watch"], item_id=first.id, since=t0))
        assert len(watched) == 1, watched
        assert watched[0].value == pytest.approx(3.0, abs=1.5) and watched[0].value == pytest.approx(at_pause, abs=0.5), (watched, at_pause)
        assert len(store.interactions(user=me, kinds=["play"], item_id=first.id, since=t0)) == 1

        # a short one, to its end (sped up when it is long, so the test stays short)
        j = min(range(1, len(items)), key=lambda k: items[k].duration_s)
        short = items[j]
        rate = max(1.0, short.duration_s / 8.0)
        rows[j].evaluate("async (row, rate) => { const v = row.querySelector('video'); v.muted = true; v.playbackRate = rate; await v.play(); }", rate)
        page.wait_for_function("el => el.querySelector('video').ended", arg=rows[j].element_handle(), timeout=60_000)
        total = lambda: sum(e.value for e in store.interactions(user=me, kinds=["watch"], item_id=short.id, since=t0))  # noqa: E731
        assert poll(lambda: total() >= short.duration_s - 1.5), (total(), short.duration_s)
        assert total() <= short.duration_s + 2.0
        page.wait_for_timeout(200)   # lets playwright hand over the request events seen meanwhile
        assert [r["kind"] for r in reports if r["item_id"] == short.id][-1] == "complete", reports
        assert not [r for r in reports if set(r) - {"item_id", "kind", "seconds"}]   # the page names no user

        # the next message: the others were never played, so they are skipped; the played ones are not
        others = [it.id for k, it in enumerate(items) if k not in (0, j)]
        send(page, "blupi cartoons", expect_videos=1)
        skipped = [e.item_id for e in store.interactions(user=me, kinds=["skip"], since=t0)]
        assert sorted(skipped) == sorted(others), (skipped, others)
        assert not store.interactions(user="owner", kinds=["play", "watch", "skip"], since=t0)   # not the owner's own profile
        assert web.outside == [], web.outside


def test_picture_upload_finds_videos(web, store):
    # with words here; a picture alone is test_app_client's test_picture_alone_finds_videos
    page = web.page
    assert PHOTO.is_file(), PHOTO
    with screenshot_on_failure(web):
        send(page, "find more like this picture", photo=PHOTO, expect_videos=1)
        chat = page.inner_text("#chat")
        assert "Looked at your picture" in chat, chat
        assert page.locator("#chat .user-row img").count() >= 1  # the picture is shown as the user's message
        assert n_videos(page) >= 1
        # each answer video is served: the browser can read its metadata
        page.wait_for_function("() => [...document.querySelectorAll('#chat video')].every(v => v.readyState >= 1 && !v.error)",
                               timeout=30_000)
        assert web.outside == [], web.outside


def test_profiles_made_after_start_are_listed_on_page_load(browser, server, store):
    from generec.types import User

    name = f"late{uuid.uuid4().hex[:6]}"
    store.upsert_user(User(name=f"owner--{name}"))   # an extra profile of the owner's, made by another process
    web = Page(browser, server.url)      # a page opened now
    try:
        with screenshot_on_failure(web):
            web.page.click("#profile input")
            option = web.page.locator('#profile [role="option"]', has_text=name)
            option.first.wait_for(state="visible", timeout=15_000)
            option.first.click()
            web.page.wait_for_function("n => document.querySelector('#profile-md').innerText.includes(n)", arg=name)
    finally:
        web.close()


def test_stop_cancels_a_video_being_made(web, store):
    """Stop during a creation: the turn ends at once (box usable, the chat says so), and the job is
    cancelled and stored so at its next check, with nothing saved."""
    page = web.page
    name = f"stop{uuid.uuid4().hex[:6]}"
    made_before = {it.id for it in store.list_items(visible_to=None) if it.origin == "ai_created"}
    with screenshot_on_failure(web):
        create_profile(page, name)
        page.fill("#box textarea", "make me a calm video about rainy nights in the city")
        page.press("#box textarea", "Enter")
        stop = page.locator('#box button[aria-label="Stop"]')
        stop.wait_for(state="visible", timeout=15_000)   # offered as soon as the turn starts
        assert page.locator("#box textarea").is_disabled()
        jobs = poll(lambda: store.jobs(user=f"owner--{name}"), seconds=WAIT_MS / 1000)   # the creator has started
        assert jobs, page.inner_text("#chat")
        stop.click()
        t0 = time.monotonic()
        page.wait_for_function("() => { const t = document.querySelector('#box textarea'); return t && !t.disabled; }", timeout=15_000)
        assert time.monotonic() - t0 < 15
        page.wait_for_function("() => document.querySelector('#chat').innerText.includes('Stopped')", timeout=15_000)
        assert page.locator('#box button[aria-label="Stop"]').count() == 0
        assert page.locator("#chat .pending").count() == 0
        # the job ends at its next check, after the stage it is in (a model call is not interrupted)
        job_id = jobs[0].id
        assert poll(lambda: store.get_job(job_id).status in ("cancelled", "failed", "done"), seconds=120, every=0.5)
        assert store.get_job(job_id).status == "cancelled", store.get_job(job_id)
        made_after = {it.id for it in store.list_items(visible_to=None) if it.origin == "ai_created"}
        assert made_after == made_before
        assert web.outside == [], web.outside


def test_a_verdict_in_words_and_a_corrected_belief_in_the_panel(web, store):
    """Typed “I love the second one” (or whichever ordinal points at a Blupi cartoon) after an answer
    stores a like on that video, and the reply says so. Reversing the belief “blupi” in the profile
    panel then keeps Blupi cartoons out of the next answer to “cartoons”, which brought them before.
    A voice note saying the same verdict stores a like too."""
    page = web.page
    name = f"bel{uuid.uuid4().hex[:6]}"
    me = f"owner--{name}"
    with screenshot_on_failure(web):
        create_profile(page, name)
        send(page, "cartoons", expect_videos=1)
        rows = item_rows(page)
        assert len(rows) >= 2, page.inner_text("#chat")
        first = [item_of(r, store) for r in rows]
        blupi = [i for i, it in enumerate(first) if "blupi" in it.tags]
        assert blupi and blupi[0] < 3, [it.tags for it in first]   # what a correction must change
        second = first[blupi[0]]    # the liked one, so that “blupi” is a belief the panel holds

        t0 = time.time() - 1
        send(page, f"I love the {('first', 'second', 'third')[blupi[0]]} one")
        likes = store.interactions(user=me, kinds=["like"], since=t0)
        assert [e.item_id for e in likes] == [second.id], likes
        assert f"you liked “{second.title}”" in page.inner_text("#chat"), page.inner_text("#chat")[-600:]
        page.wait_for_function("() => document.querySelector('#belief-md').innerText.includes('liked')", timeout=15_000)

        page.fill("#belief-pick input", "blupi")
        page.press("#belief-pick input", "Enter")
        page.click("#belief-reverse")
        page.wait_for_function("() => /Reversed|⚠️|Pick a belief/.test(document.querySelector('#belief-said').innerText)", timeout=30_000)
        said = page.inner_text("#belief-said")
        assert "Reversed" in said, said
        assert "blupi" in store.get_user(me).preferences["avoid"]
        page.wait_for_function("() => document.querySelector('#belief-md').innerText.includes('you said “less blupi”')", timeout=15_000)

        before = len(item_rows(page))
        send(page, "cartoons", expect_videos=1)
        after = [item_of(r, store) for r in item_rows(page)[before:]]
        assert after and not [it.title for it in after if "blupi" in it.tags], [(it.title, it.tags) for it in after]

        # the same verdict as a voice note: Piper says it, the app transcribes it (Whisper) and stores the like
        assert len(after) >= 2, [it.title for it in after]
        wav = Path(SHOT).with_name(f"{name}-love-the-second.wav")
        from generec.creator.narration import load_voice, write_track

        speech = load_voice("piper", strict=True).say("I love the second one.")
        write_track([(0.3, speech)], speech.seconds + 0.8, wav)
        t1 = time.time() - 1
        page.set_input_files("#box input[type=file]", str(wav))
        page.wait_for_function("() => !document.querySelector('#box textarea').disabled && document.querySelectorAll('#box audio, #box .thumbnail-item, #box .file-preview, #box [data-testid=file]').length > 0",
                               timeout=30_000)
        page.press("#box textarea", "Enter")
        liked = poll(lambda: store.interactions(user=me, kinds=["like"], since=t1), seconds=120)
        assert [e.item_id for e in liked] == [after[1].id], (liked, page.inner_text("#chat")[-600:])
        # read as a verdict once transcribed, the voice note is no request that passed the answer by
        assert store.interactions(user=me, kinds=["skip"], since=t1) == []
        page.wait_for_function("t => document.querySelector('#chat').innerText.includes(t)", arg=f"you liked “{after[1].title}”", timeout=30_000)
        assert web.outside == [], web.outside
