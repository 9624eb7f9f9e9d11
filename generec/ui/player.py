"""The chat's player signals: a small script in the page that reports each video's play, watch time and end to `/signals`.

It listens on the document (capture phase, so videos Gradio re-renders are covered) for the
media events of every `<video>` whose source is a chat video (`access.media_ref`: the item id
is the file name). It sends, for each video element:
- `play` on its first play;
- `watch` with the seconds actually watched since the last report: the sum of the stretches
  played (currentTime advancing while playing, seeks left out), sent on pause, every
  `STRETCH_S` seconds of watching, and when the page is hidden or left (as a beacon);
- `complete` with the last stretch when it plays to its end.
It names only the item: who is reporting is decided by the server from the sign-in (the
session cookie, or the local owner), and which of their profiles from what the chat showed them.
Skips are not sent from here: the chat handler stores them when the next turn starts.
"""
from __future__ import annotations

STRETCH_S = 15   # a long viewing is reported in stretches of about this many seconds

SCRIPT = """
(() => {
  if (window.generecPlayer) return;
  const STRETCH = %(stretch)d;
  const state = new WeakMap();     // <video> -> {item, played, last, acc, ended}
  const playing = new Set();
  const sent = {ok: 0, failed: 0};
  const srcOf = v => v.currentSrc || v.src || "";
  const itemOf = v => {
    let s = srcOf(v);
    try { s = decodeURIComponent(s); } catch (e) {}
    const m = /\\/generec-media\\/([^\\/?#]+)\\.mp4(?:[?#]|$)/.exec(s);
    return m ? m[1] : null;
  };
  const endpoint = v => {
    const s = srcOf(v), i = s.indexOf("gradio_api/file=");
    return (i >= 0 ? s.slice(0, i) : new URL("./", location.href).href) + "signals";
  };
  const stateOf = v => {
    const item = itemOf(v);
    if (!item) return null;
    let s = state.get(v);
    if (!s || s.item !== item) { s = {item, played: false, last: null, acc: 0, ended: false}; state.set(v, s); }
    return s;
  };
  const send = (v, s, kind, seconds, beacon) => {
    const body = JSON.stringify({item_id: s.item, kind, seconds: kind === "play" ? null : Math.round(seconds * 100) / 100});
    const url = endpoint(v);
    if (beacon && navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], {type: "application/json"}))) return;
    fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body, credentials: "same-origin", keepalive: true})
      .then(r => { r.ok ? sent.ok++ : sent.failed++; }, () => { sent.failed++; });
  };
  const count = (v, s) => {          // add the stretch played since the last look
    if (s.last !== null) {
      const d = v.currentTime - s.last;
      if (d > 0 && d < 2 + 2 * Math.max(1, v.playbackRate || 1)) s.acc += d;
    }
    s.last = (v.paused || v.seeking) ? null : v.currentTime;
  };
  const flush = (v, s, kind, beacon) => {
    const secs = s.acc;
    s.acc = 0;
    if (kind === "watch" && secs < 0.05) return;
    send(v, s, kind, secs, beacon);
  };
  const stop = (v, s, beacon) => {
    count(v, s);
    s.last = null;
    playing.delete(v);
    if (v.ended && !s.ended) { s.ended = true; flush(v, s, "complete", beacon); }
    else flush(v, s, "watch", beacon);
  };
  const on = (type, fn) => document.addEventListener(type, e => {
    const v = e.target;
    if (!(v instanceof HTMLVideoElement)) return;
    const s = stateOf(v);
    if (s) fn(v, s);
  }, true);
  on("play", (v, s) => {
    s.ended = false;
    if (!s.played) { s.played = true; send(v, s, "play"); }
  });
  on("playing", (v, s) => { s.last = v.currentTime; playing.add(v); });
  on("timeupdate", (v, s) => {
    if (v.paused || v.seeking) return;
    count(v, s);
    if (s.acc >= STRETCH) flush(v, s, "watch");
  });
  on("seeking", (v, s) => { s.last = null; });   // currentTime is already the new place: nothing to count
  on("seeked", (v, s) => { s.last = v.paused ? null : v.currentTime; });
  on("pause", (v, s) => stop(v, s, false));
  on("ended", (v, s) => { if (!s.ended) stop(v, s, false); });
  const leave = () => { for (const v of [...playing]) { const s = stateOf(v); if (s) { count(v, s); flush(v, s, "watch", true); } } };
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") leave(); });
  window.addEventListener("pagehide", leave);
  window.generecPlayer = {sent};
})();
"""


def head() -> str:
    """The `<script>` for the page head (`launch(head=...)`)."""
    return f"<script>{SCRIPT % {'stretch': STRETCH_S}}</script>"
