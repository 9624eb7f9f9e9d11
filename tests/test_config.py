from pathlib import Path

from generec.config import Settings


def test_env_values_are_parsed_to_their_types(tmp_path):
    s = Settings.from_env({"GENEREC_DATA_DIR": str(tmp_path), "GRADIO_SERVER_PORT": "8123", "GENEREC_MAX_VIDEO_S": "12.5",
                           "GENEREC_LLM": "openai:gpt-4o-mini", "GENEREC_THREADS": "3"})
    assert s.data_dir == tmp_path.resolve() and s.port == 8123 and s.max_video_s == 12.5 and s.threads == 3
    assert s.llm == "openai:gpt-4o-mini"
    assert s.db_url == f"sqlite:///{tmp_path.resolve() / 'generec.db'}"


def test_defaults_are_offline_and_database_url_wins():
    s = Settings.from_env({})
    assert s.llm == "llamacpp" and s.embedder == "minilm" and s.host == "127.0.0.1" and s.port == 7860
    assert s.threads >= 1
    assert Settings.from_env({"GENEREC_DATABASE_URL": "postgresql+psycopg://u@h/db"}).db_url == "postgresql+psycopg://u@h/db"


def test_every_setting_is_documented():
    rows = Settings.table()
    assert len(rows) == len(Settings.__dataclass_fields__)
    assert all(env.startswith(("GENEREC_", "GRADIO_")) and doc for env, _, doc in rows)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [env for env, _, _ in rows if env not in readme]
    assert not missing, f"settings not in the README table: {missing}"
