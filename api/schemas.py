"""Request and response models, named by direction."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from advisor.types import Answer, Turn


class ChatRequest(BaseModel):
    """A question, optionally with the earlier turns of the conversation (the server keeps no state)."""

    question: str = Field(max_length=50_000, description="De vraag in het Nederlands.",
                          examples=["Waarom is mandaat belangrijk voor een samenwerkingsverband?"])
    turns: list[Turn] = Field(default_factory=list, max_length=50,
                              description="Eerdere beurten van het gesprek, oudste eerst.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"question": "Hoe betrek je de moederorganisaties bij een samenwerking?", "turns": []},
                {"question": "En hoe regel je dat dan?",
                 "turns": [{"role": "user", "content": "Waarom is mandaat belangrijk?"},
                           {"role": "assistant", "content": "Zonder mandaat is continu ruggenspraak nodig."}]},
            ]
        }
    }


class ChatResponse(Answer):
    """The Answer contract (identical to `advisor ask --json`)."""


class FeedbackRequest(BaseModel):
    """Thumbs up or down on an answer (answer_id from the stream's done event or the X-Answer-Id header)."""

    answer_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000, description="Optionele toelichting.")
    question: str | None = Field(None, max_length=2000, description="De vraag waarop het antwoord volgde.")

    model_config = {"json_schema_extra": {"examples": [
        {"answer_id": "3f2a9c0d1e4b5a67", "rating": "up", "comment": "Precies wat ik zocht.",
         "question": "Waarom is mandaat belangrijk?"}]}}


class FeedbackResponse(BaseModel):
    stored: bool


class DocumentInfo(BaseModel):
    id: str
    title: str
    url: str | None = None
    date: str | None = None
    author: str | None = None
    kind: str | None = None
    publisher: str | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str = Field(description="Een Nederlandse melding voor de gebruiker.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    ready: bool
    version: str | None = None
    llm: Literal["off", "ok", "degraded"] = Field("off", description="The chat model: off (extractive answers), "
                                                  "ok, or degraded (recent calls failed; answers are extractive).")
    llm_reason: str | None = Field(None, description="Why the model is degraded (timeout, error:<type>, empty, "
                                   "language).")
