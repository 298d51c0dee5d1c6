"""HTTP routes: chat (plain and streamed), feedback, documents, embeddable answers, demo page, health."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Iterator

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse

from advisor import prompts
from advisor.advisor import Advisor, answer_id, events
from advisor.db import Database
from advisor.errors import AdvisorError, FeedbackUnavailableError
from advisor.faq import read_questions, render_answer, render_faq
from advisor.types import Answer, content_hash

from .work import run_bounded
from .schemas import (ChatRequest, ChatResponse, DocumentInfo, ErrorResponse, FeedbackRequest, FeedbackResponse,
                      HealthResponse, ReadyResponse)

router = APIRouter()
log = logging.getLogger("advisor.api")
WIDGET_DIR = Path(__file__).parent / "widget"


def get_advisor(request: Request) -> Advisor:
    return request.app.state.advisor


def get_db(request: Request) -> Database:
    return request.app.state.db


AdvisorDep = Annotated[Advisor, Depends(get_advisor)]
DatabaseDep = Annotated[Database | None, Depends(get_db)]


def record(request: Request, question: str, answer: Answer, answer_key: str) -> None:
    """Keep the question's analytics row (scrubbed in the database layer) unless analytics are switched off."""
    if not request.app.state.advisor.settings.analytics.enabled or request.app.state.db is None:
        return
    try:
        request.app.state.db.record_question(
            answer_id=answer_key, question=question, answered=answer.answered, reason=answer.reason,
            confidence=answer.confidence, cited=[c.document_id for c in answer.citations],
            latency_ms=answer.timings_ms.get("total"), mode=answer.mode)
    except Exception as exc:  # noqa: BLE001 - analytics never cost the user an answer; the text is not logged
        log.warning("question analytics not stored: %s", type(exc).__name__)

_ERRORS = {
    400: {"model": ErrorResponse, "description": "Ongeldige JSON."},
    401: {"model": ErrorResponse, "description": "Ongeldige of ontbrekende sleutel (X-Advisor-Key)."},
    413: {"model": ErrorResponse, "description": "De aanvraag is te groot."},
    415: {"model": ErrorResponse, "description": "De aanvraag is geen JSON."},
    422: {"model": ErrorResponse, "description": "Ongeldige vraag (leeg, te lang, ongeldige tekens)."},
    429: {"model": ErrorResponse, "description": "Te veel aanvragen; zie de header Retry-After."},
    503: {"model": ErrorResponse, "description": "De index is nog niet geladen, beschadigd, of de adviseur is te druk."},
    504: {"model": ErrorResponse, "description": "Het antwoord duurde langer dan de tijdslimiet."},
}
# What the security middleware may answer on any widget route before the route runs.
_GUARD = {code: _ERRORS[code] for code in (401, 413, 429)}


@router.post("/v1/chat", response_model=ChatResponse, responses=_ERRORS, tags=["chat"],
             summary="Stel een vraag; antwoord met bronnen of een beleefde weigering")
async def chat(body: ChatRequest, advisor: AdvisorDep, request: Request, response: Response) -> ChatResponse:
    run = await run_bounded(request, lambda budget: advisor.run(body.question, turns=body.turns, budget=budget))
    answer = run.answer
    response.headers["X-Answer-Id"] = answer_id(body.question, answer)
    await anyio.to_thread.run_sync(record, request, body.question, answer, response.headers["X-Answer-Id"])
    return ChatResponse.model_validate(answer.model_dump())


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/v1/chat/stream", responses={**_ERRORS, 200: {
    "content": {"text/event-stream": {"example": 'event: delta\ndata: {"text": "..."}\n\n'}},
    "description": "Server-sent events: retrieval, delta (herhaald), citations, done; of error. Met een "
                   "taalmodel kan reset komen: vergeet de tekst tot dan toe; de deltas erna vormen het antwoord."}},
    tags=["chat"], summary="Stel een vraag; het antwoord komt als server-sent events")
async def chat_stream(body: ChatRequest, advisor: AdvisorDep, request: Request) -> StreamingResponse:
    # Validation, readiness, deadline and load errors surface here, as a normal JSON error response.
    if advisor.llm_enabled:  # steps 1-4 under the budget; the model's verified sentences stream as they pass
        decided = await run_bounded(request, lambda budget: advisor.decided(body.question, turns=body.turns,
                                                                            budget=budget))
        source = advisor.stream(body.question, turns=body.turns, decided=decided)
    else:
        source = events(await run_bounded(request, lambda budget: advisor.run(body.question, turns=body.turns,
                                                                              budget=budget)))

    def generate() -> Iterator[str]:
        try:
            for event, data in source:
                if event == "retrieval":
                    yield _sse("retrieval", {"passages": data})
                elif event == "delta":
                    yield _sse("delta", {"text": data})
                elif event == "reset":  # LLM composer fell back: discard the deltas so far (see README)
                    yield _sse("reset", {"reason": data})
                elif event == "citations":
                    yield _sse("citations", {"citations": [c.model_dump() for c in data]})
                elif event == "done":
                    key = answer_id(body.question, data)
                    record(request, body.question, data, key)
                    yield _sse("done", {"answer_id": key, **data.model_dump()})
        except AdvisorError as exc:
            yield _sse("error", {"code": "unavailable", "message": exc.user_message})
        except Exception:  # noqa: BLE001 - the client gets a Dutch message, never a stack trace
            yield _sse("error", {"code": "internal", "message": prompts.HTTP_STREAM_FAILED})

    return StreamingResponse(generate(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/v1/feedback", response_model=FeedbackResponse, status_code=201, tags=["feedback"],
             responses={code: _ERRORS[code] for code in (400, 401, 413, 415, 422, 429, 503)},
             summary="Duim omhoog of omlaag bij een antwoord")
def feedback(body: FeedbackRequest, db: DatabaseDep) -> FeedbackResponse:
    if db is None:
        raise FeedbackUnavailableError("the feedback database could not be opened at start-up")
    db.add_feedback(body.answer_id, body.rating, body.comment, body.question)
    return FeedbackResponse(stored=True)


@router.get("/v1/documents", response_model=list[DocumentInfo], responses={**_GUARD, 503: _ERRORS[503]},
            tags=["chat"],
            summary="Welke publicaties de adviseur kent")
def documents(advisor: AdvisorDep) -> list[DocumentInfo]:
    return [DocumentInfo(**{k: (str(v) if v is not None else None) for k, v in d.items()})
            for d in advisor.snapshot().documents()]


@router.get("/v1/embed", response_class=HTMLResponse,
            responses={**{c: e for c, e in _ERRORS.items() if c not in (400, 415)}, 304: {"description": "Niet gewijzigd."}},
            tags=["embed"], summary="Antwoord als veilig HTML-fragment voor de 'Meer weten?'-pagina")
async def embed(request: Request, advisor: AdvisorDep,
          question: Annotated[str, Query(max_length=2000, description="De vraag.",
                                         examples=["Waarom is mandaat belangrijk?"])]) -> Response:
    version = (await anyio.to_thread.run_sync(advisor.snapshot)).version  # the first call loads the index
    etag = f'"{content_hash(version + chr(31) + question)}"'
    headers = {"Cache-Control": "public, max-age=3600", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    run = await run_bounded(request, lambda budget: advisor.run(question, budget=budget))
    return HTMLResponse(render_answer(question, run.answer), headers=headers)


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    return FileResponse(WIDGET_DIR / "widget.js", media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo_page(request: Request) -> HTMLResponse:
    """The demo 'Meer weten?' page: the static FAQ (works without JavaScript) and the widget."""
    app = request.app

    def build_faq(budget) -> str:
        advisor: Advisor = app.state.advisor
        version = advisor.snapshot().version
        cached = getattr(app.state, "faq_cache", None)
        if cached is None or cached[0] != version:
            path = advisor.settings.faq_questions
            questions = read_questions(path.read_text(encoding="utf-8").splitlines()) if path.is_file() else []
            cached = (version, render_faq((q, advisor.run(q, budget=budget).answer) for q in questions))
            app.state.faq_cache = cached
        return cached[1]

    try:  # the FAQ is built once per index version, in a work slot like any question (no deadline: it is cached)
        faq = await run_bounded(request, build_faq, deadline=False)
    except AdvisorError:
        faq = f'<p class="advisor-faq-unavailable">{prompts.FAQ_UNAVAILABLE}</p>'
    base = str(request.base_url).rstrip("/")
    page = (WIDGET_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(page.replace("{{FAQ}}", faq).replace("{{BASE}}", base))


@router.get("/healthz", response_model=HealthResponse, tags=["ops"], summary="Het proces leeft")
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get("/readyz", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}}, tags=["ops"],
            summary="Klaar zodra de index geladen is")
def readyz(request: Request):
    advisor: Advisor = request.app.state.advisor
    health = advisor.llm_health
    llm = "off" if health is None else health.status  # a degraded model never makes the service unready
    if request.app.state.warm and advisor.ready():
        return ReadyResponse(ready=True, version=advisor.snapshot().version, llm=llm,
                             llm_reason=health.reason if health is not None and llm == "degraded" else None)
    return JSONResponse(status_code=503, content=ReadyResponse(ready=False, llm=llm).model_dump())
