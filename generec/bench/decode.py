"""`python -m generec bench decode`: what decoding several plans in one llama.cpp batch would buy here.

The question behind it: would batching concurrent plans (one context, N sequences sharing the
evaluated prompt prefix, one forward pass per step for all of them) meet `bench load`'s latency
target? Through llama.cpp's own batch API on the bundled GGUF, it evaluates a shared prefix once,
copies it to N sequences, reads an N-way request part and decodes N tokens per step, for each N and
thread count asked. Printed per setting: prompt-reading and decoding throughput, and the speed-up
of N sequences over one. Token ids are drawn at random (fixed seed): only the arithmetic is timed.
A speed-up near 1 means the CPU, not memory bandwidth, limits decoding, and batching buys nothing.
"""
from __future__ import annotations

import argparse
import json
import time

from ..config import Settings


def measure(path: str, threads: int, n: int, prefix: int = 400, request: int = 120, steps: int = 40) -> dict:
    import llama_cpp as L
    import numpy as np
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=256, n_threads=threads, verbose=False)   # the weights; its own context is unused
    cp = L.llama_context_default_params()
    cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max = prefix + n * (request + steps) + 64, 512, 512, n
    cp.n_threads = cp.n_threads_batch = threads
    cp.kv_unified = True   # the copied prefix is shared by every sequence, not stored N times
    ctx = L.llama_init_from_model(llm._model.model, cp)
    batch = L.llama_batch_init(512, 0, n)
    rng = np.random.default_rng(0)

    def decode(rows):   # rows: (token, position, sequence, wants logits)
        for start in range(0, len(rows), 512):
            part = rows[start:start + 512]
            batch.n_tokens = len(part)
            for i, (tok, pos, seq, out) in enumerate(part):
                batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = tok, pos, 1, out
                batch.seq_id[i][0] = seq
            if L.llama_decode(ctx, batch) != 0:
                raise RuntimeError("llama_decode failed")

    try:
        t0 = time.perf_counter()
        decode([(int(t), i, 0, False) for i, t in enumerate(rng.integers(100, 20000, prefix))])
        t1 = time.perf_counter()
        mem = L.llama_get_memory(ctx)
        for s in range(1, n):
            L.llama_memory_seq_cp(mem, 0, s, -1, -1)
        decode([(int(t), prefix + j, s, j == request - 1) for s in range(n) for j, t in enumerate(rng.integers(100, 20000, request))])
        t2 = time.perf_counter()
        for d in range(steps):
            decode([(int(rng.integers(100, 20000)), prefix + request + d, s, True) for s in range(n)])
        t3 = time.perf_counter()
    finally:
        L.llama_batch_free(batch)
        L.llama_free(ctx)
    return {"threads": threads, "sequences": n, "prefix_tok_s": prefix / (t1 - t0), "request_tok_s": n * request / (t2 - t1),
            "decode_tok_s": n * steps / (t3 - t2), "ms_per_step": 1000 * (t3 - t2) / steps}


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench decode", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sequences", default="1,4", help="comma-separated batch sizes (the first is the baseline)")
    ap.add_argument("--threads", default="", help="comma-separated thread counts (default: the setting's, and 2 when it is 1)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    settings = settings or Settings.from_env()
    from ..llm.llamacpp import LlamaCppLLM

    path = str(LlamaCppLLM.path_for(settings))   # measure() loads it per setting
    threads = [int(t) for t in args.threads.split(",") if t] or sorted({settings.threads, max(2, settings.threads)})
    sizes = [int(n) for n in args.sequences.split(",")]
    rows = []
    for th in threads:
        base = None
        for n in sizes:
            r = measure(path, th, n)
            base = base or r["decode_tok_s"]
            r["decode_speedup"] = r["decode_tok_s"] / base
            rows.append(r)
            if not args.json:
                print(f"threads {th}  sequences {n}: request part {r['request_tok_s']:.0f} tok/s, decode {r['decode_tok_s']:.1f} tok/s "
                      f"({r['ms_per_step']:.0f} ms a step), {r['decode_speedup']:.2f}x the first batch size", flush=True)
    if args.json:
        print(json.dumps({"model": path, "rows": rows}))
    return 0
