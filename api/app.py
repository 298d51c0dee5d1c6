"""create_app(settings): one Advisor per process, built in the lifespan; one JSON error shape."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from advisor import prompts
from advisor.advisor import Advisor
from advisor.db import Database
from advisor.errors import (AdvisorError, DeadlineExceededError, IndexBrokenError, IndexNotReadyError,
                            InvalidQuestionError, RequestCancelledError, ServerBusyError)
from advisor.settings import AdvisorSettings, get_settings

from starlette.exceptions import HTTPException as StarletteHTTPException

from . import docs
from .admin import router as admin_router
from .routes import router
from .security import SecurityMiddleware, log_field

log = logging.getLogger("advisor.api")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}}, headers=headers)


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
        app.state.settings = settings
        app.state.work_limiter = anyio.CapacityLimiter(settings.security.max_concurrent_work)
        app.state.advisor = advisor or Advisor.from_settings(settings)
        try:
            app.state.db = Database.from_settings(settings)  # migrations run here, under a lock
        except Exception as exc:  # noqa: BLE001 - e.g. a read-only data dir: answer questions, refuse feedback
            log.error("feedback en analyse kunnen niet worden opgeslagen (%s); /v1/feedback antwoordt 503",
                      type(exc).__name__)
            app.state.db = None
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

        if app.state.db is not None:
            app.state.db.purge(feedback_days=settings.security.feedback_retention_days,
                               analytics_days=settings.analytics.retention_days)
            threading.Thread(target=lambda: stop.wait(3600) or purge_hourly(), daemon=True).start()
        app.state.warm = False

        def warm_up() -> None:
            try:
                app.state.advisor.embedder  # load the model once, before the first question
                app.state.advisor.snapshot()
                if app.state.advisor.llm_enabled:
                    from advisor.llm import warm_up as warm_llm

                    app.state.advisor.chat_model  # a missing extra or bad setting shows in the log now
                    warm_llm()
            except Exception as exc:  # noqa: BLE001 - readiness reports it; questions get a clear 503
                log.warning("index not loaded yet: %s", exc)
            app.state.warm = True

        threading.Thread(target=warm_up, daemon=True).start()
        yield
        stop.set()
        if app.state.db is not None:
            app.state.db.dispose()

    app = FastAPI(title="advisor", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Nederlandstalige adviseur over de publicaties van de organisatie: antwoorden met bronnen.")
    app.include_router(router)
    docs.install(app)
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
        if isinstance(exc, IndexBrokenError):
            log.error("index unusable: %s", exc)
            return _error(503, "index_broken", exc.user_message, {"Retry-After": "60"})
        return _error(503, "not_ready", prompts.NOT_READY)

    @app.exception_handler(ServerBusyError)
    async def busy(request: Request, exc: ServerBusyError) -> JSONResponse:
        return _error(503, "busy", exc.user_message, {"Retry-After": "5"})

    @app.exception_handler(DeadlineExceededError)
    async def too_slow(request: Request, exc: DeadlineExceededError) -> JSONResponse:
        return _error(504, "timeout", exc.user_message)

    @app.exception_handler(RequestCancelledError)
    async def cancelled(request: Request, exc: RequestCancelledError) -> JSONResponse:
        return _error(499, "cancelled", exc.user_message)  # nobody reads it: the client has gone

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", log_field(request.url.path))
        return _error(500, "internal", prompts.HTTP_INTERNAL)  # the one JSON shape, never a stack trace

    @app.exception_handler(AdvisorError)
    async def advisor_error(request: Request, exc: AdvisorError) -> JSONResponse:
        log.error("advisor error: %s", exc)
        return _error(503, "unavailable", exc.user_message)

    return app
