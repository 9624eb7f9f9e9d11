"""Loading diffusers pipelines: the one loader behind the editor's image-to-image restyle and the
creator's generated pictures.

`load_pipeline(model, kind)` takes a local diffusers folder or a hub id and the name of the
diffusers class to build it with (`AutoPipelineForImage2Image`, `DiffusionPipeline`, ...). A
local folder, or `HF_HUB_OFFLINE=1`, never reaches the network. The pipeline runs on the GPU in
half precision when there is one, else on the CPU with `threads` torch threads, and stays
loaded: the same arguments return the same object (two pipelines at most, one per caller).
diffusers and torch are imported only here and only when asked for; without them the error
says what to install.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

INSTALL = "pip install diffusers==0.42.1 accelerate==1.15.0"


class DiffusionUnavailable(RuntimeError):
    """diffusers/torch are missing or the model could not be loaded; the message says what to do."""


@lru_cache(maxsize=2)
def load_pipeline(model: str, kind: str = "DiffusionPipeline", *, device: str | None = None, threads: int | None = None):
    """The `kind` pipeline of `model` (folder or hub id), on `device` ("cuda"/"cpu"; None picks
    the GPU when there is one). `threads` sets torch's CPU threads; None leaves them as they are."""
    try:
        import diffusers
        import torch
    except ImportError as exc:
        raise DiffusionUnavailable(f"diffusers pipelines need diffusers and torch: {INSTALL}") from exc
    cls = getattr(diffusers, kind, None)
    if cls is None:
        raise ValueError(f"diffusers has no pipeline class {kind!r}")
    local = Path(model).expanduser()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu" and threads is not None:
        torch.set_num_threads(max(1, threads))
    kw = {"torch_dtype": torch.float16} if device == "cuda" else {}
    try:
        pipe = cls.from_pretrained(str(local) if local.exists() else model,
                                   local_files_only=local.exists() or os.environ.get("HF_HUB_OFFLINE") == "1", **kw)
    except (OSError, ValueError) as exc:
        raise DiffusionUnavailable(f"the diffusers model “{model}” could not be loaded ({type(exc).__name__}: {str(exc)[:160]}); "
                                   "give a local diffusers folder, or a hub id on a machine that can download it") from exc
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe
