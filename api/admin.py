"""Admin routes (X-Advisor-Key must be the admin key; the security middleware checks it before these run)."""

from __future__ import annotations

import threading
from dataclasses import asdict

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from advisor import prompts
from advisor.advisor import Advisor
from advisor.errors import FeedbackUnavailableError, IngestLockedError

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses={
    401: {"description": "Geen of een verkeerde beheerderssleutel (X-Advisor-Key)."},
    409: {"description": "Er loopt al een indexering."}})
_ingest_lock = threading.Lock()


@router.post("/reingest", summary="Corpus opnieuw indexeren (alleen wat veranderde) en atomair publiceren")
def reingest(request: Request):
    advisor: Advisor = request.app.state.advisor
    if not _ingest_lock.acquire(blocking=False):
        return JSONResponse(status_code=409, content={"error": {"code": "ingest_running",
                                                                "message": prompts.HTTP_INGEST_RUNNING}})
    try:
        if advisor.settings.gate.reingest:  # publish only what keeps the gated eval metrics within bounds
            from advisor.gate import gated_ingest

            return gated_ingest(advisor).as_dict()
        report = advisor.ingest()
    except IngestLockedError:
        return JSONResponse(status_code=409, content={"error": {"code": "ingest_running",
                                                                "message": prompts.HTTP_INGEST_RUNNING}})
    finally:
        _ingest_lock.release()
    data = asdict(report)
    data["skipped"] = [{"path": s.path, "reason": s.reason} for s in report.skipped]
    return data


@router.post("/reload", summary="De gepubliceerde indexversie nu laden")
def reload(request: Request):
    advisor: Advisor = request.app.state.advisor
    advisor.refresh()
    return {"version": advisor.snapshot().version}


@router.get("/feedback", summary="Alle feedback exporteren (JSON)")
def export_feedback(request: Request):
    if request.app.state.db is None:
        raise FeedbackUnavailableError("the feedback database could not be opened at start-up")
    return request.app.state.db.feedback()


@router.get("/insights", summary="Inzichten voor de redactie: onbeantwoorde onderwerpen, duim omlaag, FAQ, bronnen",
            responses={200: {"content": {"text/html": {}}}, 422: {"description": "Ongeldige periode."}})
def insights(request: Request,
             since: Annotated[str, Query(description="Periode terug vanaf nu: 12h, 30d, 2w.", examples=["30d"])] = "30d",
             format: Annotated[Literal["json", "html"], Query(description="json of html")] = "json"):
    from advisor.insights import build_insights, parse_since
    from advisor.insights_report import render_insights_html

    try:
        period = parse_since(since)
    except ValueError:
        return JSONResponse(status_code=422, content={"error": {"code": "invalid_since",
                                                                "message": prompts.HTTP_INVALID_SINCE}})
    if request.app.state.db is None:
        raise FeedbackUnavailableError("the feedback database could not be opened at start-up")
    data = build_insights(request.app.state.db, request.app.state.advisor, since=period)
    if format == "html":
        return HTMLResponse(render_insights_html(data), headers={"Cache-Control": "no-store"})
    return data
