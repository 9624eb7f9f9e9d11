"""Settings: the one object that says where data lives and which backends run.

Every value comes from a `GENEREC_*` environment variable (documented in the README);
defaults are the embedded, offline ones. Nothing here is read at import time:
call `Settings.from_env()` where a process starts and pass the object down.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ("microvideo", "movielens")


def _free_cores() -> int:
    # llama.cpp collapses when it has more threads than free cores; leave one for the UI/ffmpeg.
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, n - 1)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default=ROOT / "data", metadata={"env": "GENEREC_DATA_DIR", "doc": "where the corpus media, index, model cache and database live (unset with `GENEREC_CORPUS=movielens`: `./data/movielens`)"})
    database_url: str = field(default="", metadata={"env": "GENEREC_DATABASE_URL", "doc": "SQLAlchemy URL; empty = SQLite file in the data dir; `postgresql+psycopg://…` works too"})
    vectors: str = field(default="auto", metadata={"env": "GENEREC_VECTORS", "doc": "where item vectors live: `auto` (pgvector when the database is PostgreSQL, else FAISS files in the data dir), `faiss` or `pgvector`"})
    queue_url: str = field(default="", metadata={"env": "GENEREC_QUEUE_URL", "doc": "`redis://host:port/db`: creator jobs go to a Redis work queue served by `python -m generec worker` processes; empty = one worker thread in the app"})
    corpus: str = field(default="microvideo", metadata={"env": "GENEREC_CORPUS", "doc": "`microvideo` (default) or `movielens`"})
    llm: str = field(default="llamacpp", metadata={"env": "GENEREC_LLM", "doc": "`llamacpp`, `llamacpp:fast` (0.5B), `openai:<model>`, `rules` (keyword planner, no model) or `fake`"})
    llm_model_path: str = field(default="", metadata={"env": "GENEREC_LLM_MODEL_PATH", "doc": "a GGUF file to use instead of the bundled Qwen2.5-Coder-1.5B"})
    llm_slots: int = field(default=1, metadata={"env": "GENEREC_LLM_SLOTS", "doc": "llama.cpp in-process: how many copies of the model answer at once (weights shared, each with its own context and `GENEREC_THREADS` threads); `bench load` measures what a second one buys"})
    llm_timeout_s: float = field(default=30.0, metadata={"env": "GENEREC_LLM_TIMEOUT", "doc": "longest one model call may take; past it the request is planned by the keyword rules"})
    plan_fast: str = field(default="busy", metadata={"env": "GENEREC_PLAN_FAST", "doc": "`plain`: a request that is only a topic to search for (no edit, create, reference, question, negation or verdict cue, every topic word known to the corpus) is planned by the cue words without the LLM, and the step says so; `busy`: as `plain`, and while the model is answering another request, a plain search with words the corpus lacks is planned by the cue words too (`bench instructor --compare-plain llamacpp --busy` measures what that costs); `off`: every request goes to the LLM"})
    judge_llm: str = field(default="", metadata={"env": "GENEREC_JUDGE_LLM", "doc": "the LLM that judges the requests the learned screen does not clear; it must return log-probabilities (same forms as GENEREC_LLM, e.g. `openai:<a guard model>` on a server); empty = GENEREC_LLM"})
    embedder: str = field(default="minilm", metadata={"env": "GENEREC_EMBEDDER", "doc": "`minilm` (bundled), `hash` (no model, for tests), or a sentence-transformers path / hub id"})
    image_features: str = field(default="efficientnet", metadata={"env": "GENEREC_IMAGE_FEATURES", "doc": "`efficientnet` (bundled EfficientNet-Lite0) or `colour` (no model, for tests)"})
    img2img: str = field(default="", metadata={"env": "GENEREC_IMG2IMG", "doc": "editor restyle through a diffusers image-to-image model (hub id or folder); empty = ffmpeg looks"})
    creator_visuals: str = field(default="compose", metadata={"env": "GENEREC_CREATOR_VISUALS", "doc": "`compose` (real footage, stills, icons, offline) or `diffusers:<model id or path>`"})
    creator_voice: str = field(default="piper", metadata={"env": "GENEREC_CREATOR_VOICE", "doc": "narration voice: `piper` (bundled), `espeak`, or `none`"})
    asr: str = field(default="whisper-tiny", metadata={"env": "GENEREC_ASR", "doc": "speech model: `whisper-tiny` (bundled) or a CTranslate2 Whisper folder / hub id"})
    threads: int = field(default_factory=_free_cores, metadata={"env": "GENEREC_THREADS", "doc": "threads for llama.cpp / torch; default: free cores"})
    host: str = field(default="127.0.0.1", metadata={"env": "GRADIO_SERVER_NAME", "doc": "address the app binds (Spaces sets 0.0.0.0)"})
    port: int = field(default=7860, metadata={"env": "GRADIO_SERVER_PORT", "doc": "port the app binds"})
    auth: str = field(default="auto", metadata={"env": "GENEREC_AUTH", "doc": "who may use the app: `auto` (loopback: one owner, no sign-in; elsewhere sign-in), `local`, `accounts` (`generec users add`), `hf` (Hugging Face OAuth on a Space)"})
    turns_per_minute: int = field(default=20, metadata={"env": "GENEREC_TURNS_PER_MIN", "doc": "chat turns one account may start per minute"})
    creations_per_hour: int = field(default=12, metadata={"env": "GENEREC_CREATIONS_PER_HOUR", "doc": "edits and creations one account may start per hour"})
    max_waiting: int = field(default=12, metadata={"env": "GENEREC_MAX_WAITING", "doc": "turns running or waiting at once; past it a turn is answered “busy, try again in N s”"})
    max_upload_mb: int = field(default=200, metadata={"env": "GENEREC_MAX_UPLOAD_MB", "doc": "largest upload accepted"})
    max_video_s: float = field(default=600.0, metadata={"env": "GENEREC_MAX_VIDEO_S", "doc": "longest video accepted for ingest or edit"})
    top_k: int = field(default=3, metadata={"env": "GENEREC_TOP_K", "doc": "items shown per answer"})
    strict: bool = field(default=False, metadata={"env": "GENEREC_STRICT", "doc": "`1`: a configured model that fails to load is an error instead of a logged fallback (`make test` sets it)"})
    diversity: float = field(default=0.1, metadata={"env": "GENEREC_DIVERSITY", "doc": "MMR diversity knob of the feed, 0 (pure relevance) to 1 (spread as far as possible)"})

    def __post_init__(self):
        if self.corpus not in CORPORA:
            raise ValueError(f"GENEREC_CORPUS={self.corpus!r}: choose one of {', '.join(CORPORA)}")
        if self.vectors not in ("auto", "faiss", "pgvector"):
            raise ValueError(f"GENEREC_VECTORS={self.vectors!r}: choose `auto`, `faiss` or `pgvector`")
        if self.plan_fast not in ("plain", "busy", "off"):
            raise ValueError(f"GENEREC_PLAN_FAST={self.plan_fast!r}: choose `plain`, `busy` or `off`")
        if not 0.0 <= self.diversity <= 1.0:
            raise ValueError(f"GENEREC_DIVERSITY={self.diversity}: must be between 0 and 1")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            kind = f.type
            if kind in (int, "int"):
                values[f.name] = int(raw)
            elif kind in (bool, "bool"):
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif kind in (float, "float"):
                values[f.name] = float(raw)
            elif kind in (Path, "Path"):
                values[f.name] = Path(raw).expanduser().resolve()
            else:
                values[f.name] = raw
        values.update(overrides)
        if values.get("corpus") == "movielens" and "data_dir" not in values:
            # its own database and index, so the video corpus in ./data is never overwritten
            values["data_dir"] = ROOT / "data" / "movielens"
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'generec.db'}"

    @property
    def vector_backend(self) -> str:
        if self.vectors != "auto":
            return self.vectors
        return "pgvector" if self.db_url.startswith("postgresql") else "faiss"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def model_cache(self) -> Path:
        return self.data_dir / "models"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def data_path(self, rel: str | Path) -> Path:
        """A stored path (items keep theirs relative to the data dir) as a file path."""
        p = Path(rel)
        return p if p.is_absolute() else Path(self.data_dir) / p

    @classmethod
    def table(cls) -> list[tuple[str, str, str]]:
        """(env var, default, meaning) rows for the README."""
        d = cls()
        return [(f.metadata["env"], str(getattr(d, f.name)), f.metadata["doc"]) for f in fields(cls)]
