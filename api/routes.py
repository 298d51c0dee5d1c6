"""HTTP routes: chat, health and readiness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from advisor.advisor import Advisor

from .schemas import ChatRequest, ChatResponse, ErrorResponse, HealthResponse, ReadyResponse

router = APIRouter()


def get_advisor(request: Request) -> Advisor:
    return request.app.state.advisor


AdvisorDep = Annotated[Advisor, Depends(get_advisor)]

_ERRORS = {
    400: {"model": ErrorResponse, "description": "Ongeldige JSON."},
    422: {"model": ErrorResponse, "description": "Ongeldige vraag (leeg, te lang, ongeldige tekens)."},
    503: {"model": ErrorResponse, "description": "De index is nog niet geladen."},
}


@router.post("/v1/chat", response_model=ChatResponse, responses=_ERRORS, tags=["chat"],
             summary="Stel een vraag; antwoord met bronnen of een beleefde weigering")
def chat(body: ChatRequest, advisor: AdvisorDep) -> ChatResponse:
    answer = advisor.ask(body.question, turns=body.turns)
    return ChatResponse.model_validate(answer.model_dump())


@router.get("/healthz", response_model=HealthResponse, tags=["ops"], summary="Het proces leeft")
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get("/readyz", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}}, tags=["ops"],
            summary="Klaar zodra de index geladen is")
def readyz(request: Request):
    advisor: Advisor = request.app.state.advisor
    if request.app.state.warm and advisor.ready():
        return ReadyResponse(ready=True, version=advisor.snapshot().version)
    return JSONResponse(status_code=503, content=ReadyResponse(ready=False).model_dump())
