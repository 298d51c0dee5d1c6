"""Admin routes (X-Advisor-Key must be the admin key; the security middleware checks it before these run)."""

from __future__ import annotations

import threading
from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

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
    if request.app.state.feedback is None:
        raise FeedbackUnavailableError("the feedback database could not be opened at start-up")
    return request.app.state.feedback.all()
