"""The AI creator (issue 6): a new short vertical video from a request and the user's taste.

request -> storyboard (LLM in a bounded JSON schema, checked; templates otherwise) -> a
picture per scene (real corpus shots only when they truly match; else OpenMoji icons,
package stills, or a diffusers model when configured; over procedural backgrounds) ->
narration (Piper, espeak-ng fallback, or none) -> 480x854 24 fps H.264/AAC mp4 with title
card, headlines, timed subtitles and a cover -> a private `Item` (origin "ai_created") whose
provenance records the storyboard, sources, licences, settings and stage times.

Modules: request (what is asked, refusals), storyboard + templates (script stage),
assets (OpenMoji via npm, stills), shots (corpus shot index), visuals (choice with taste),
background + clips + text + compose (rendering), narration, diffusion (optional backend),
context (what a creation needs), stages + pipeline (`create`, `publish`), jobs (worker
thread, progress, cancel), tool (chat events). Its command and benchmark: `generec.cli.creator`, `generec.bench.creator`.
Nothing is imported here, so `import generec.creator` stays cheap.
"""
