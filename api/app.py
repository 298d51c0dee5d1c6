"""create_app(settings): one Advisor per process, built in the lifespan; one JSON error shape."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from advisor import prompts
from advisor.advisor import Advisor
from advisor.db import Database
from advisor.errors import AdvisorError, IndexNotReadyError, InvalidQuestionError
from advisor.settings import AdvisorSettings, get_settings

from starlette.exceptions import HTTPException as StarletteHTTPException

from .admin import router as admin_router
from .routes import router
from .security import SecurityMiddleware

log = logging.getLogger("advisor.api")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def create_app(settings: AdvisorSettings | None = None, advisor: Advisor | None = None) -> FastAPI:
    """The FastAPI application; the index loads in the background so /healthz answers at once."""
    settings = settings or get_settings()
    access = logging.getLogger("advisor.access")
    if not access.handlers:  # uvicorn's own access log is off (it would log full IP addresses)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.advisor = advisor or Advisor.from_settings(settings)
        app.state.db = Database.from_settings(settings)  # migrations run here, under a lock
        stop = threading.Event()

        def purge_hourly() -> None:
            """Retention holds for a service that runs for months, not only at start-up."""
            while True:
                try:
                    app.state.db.purge(feedback_days=settings.security.feedback_retention_days,
                                       analytics_days=settings.analytics.retention_days)
                except Exception as exc:  # noqa: BLE001 - retried next hour; logged without any row content
                    log.warning("retention purge failed: %s", type(exc).__name__)
                if stop.wait(3600):
                    return

        app.state.db.purge(feedback_days=settings.security.feedback_retention_days,
                           analytics_days=settings.analytics.retention_days)
        threading.Thread(target=lambda: stop.wait(3600) or purge_hourly(), daemon=True).start()
        app.state.warm = False

        def warm_up() -> None:
            try:
                app.state.advisor.embedder  # load the model once, before the first question
                app.state.advisor.snapshot()
            except Exception as exc:  # noqa: BLE001 - readiness reports it; questions get a clear 503
                log.warning("index not loaded yet: %s", exc)
            app.state.warm = True

        threading.Thread(target=warm_up, daemon=True).start()
        yield
        stop.set()
        app.state.db.dispose()

    app = FastAPI(title="advisor", version="0.1.0", lifespan=lifespan,
                  description="Nederlandstalige adviseur over de publicaties van de organisatie: antwoorden met bronnen.")
    app.include_router(router)
    if settings.security.admin_key is not None:  # without an admin key the admin routes do not exist at all
        app.include_router(admin_router)
    app.add_middleware(SecurityMiddleware, settings=settings.security)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["content-type", "x-advisor-key"], expose_headers=["X-Answer-Id"], max_age=600)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return _error(400, "invalid_json", prompts.HTTP_INVALID_JSON)
        return _error(422, "invalid_request", prompts.HTTP_INVALID_REQUEST.format(details="; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ())[1:])}: {err.get('msg')}" for err in exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_" + str(exc.status_code),
                      prompts.HTTP_STATUS.get(exc.status_code, prompts.HTTP_OTHER))

    @app.exception_handler(InvalidQuestionError)
    async def invalid_question(request: Request, exc: InvalidQuestionError) -> JSONResponse:
        return _error(422, "invalid_question", exc.user_message)

    @app.exception_handler(IndexNotReadyError)
    async def not_ready(request: Request, exc: IndexNotReadyError) -> JSONResponse:
        return _error(503, "not_ready", prompts.NOT_READY)

    @app.exception_handler(AdvisorError)
    async def advisor_error(request: Request, exc: AdvisorError) -> JSONResponse:
        log.error("advisor error: %s", exc)
        return _error(503, "unavailable", exc.user_message)

    return app
