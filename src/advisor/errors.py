"""A small error tree; the CLI and the API translate these at the edges."""


class AdvisorError(Exception):
    """Base class for errors a caller can act on."""

    user_message = "Er ging iets mis in de adviseur."


class ConfigurationError(AdvisorError):
    """A setting is invalid or a required resource (model, store) is unavailable."""

    user_message = "De adviseur is niet goed geconfigureerd."


class DocumentLoadError(AdvisorError):
    """A single file could not be read; ingest reports it and goes on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexNotReadyError(AdvisorError):
    """No published index version exists yet (run `advisor ingest`)."""

    user_message = "De adviseur is nog niet klaar: er is nog geen index gebouwd."


class IngestLockedError(AdvisorError):
    """Another ingest is running; ingests are serialised."""

    user_message = "Er loopt al een andere indexering; probeer het straks opnieuw."


class InvalidQuestionError(AdvisorError):
    """The question is empty, too long or otherwise unusable."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class RequestCancelledError(AdvisorError):
    """The client went away; the pipeline stops at its next step."""

    user_message = "De vraag is afgebroken."


class DeadlineExceededError(AdvisorError):
    """The request took longer than its deadline (security.request_timeout_s)."""

    user_message = "Het antwoord duurde te lang; probeer het straks opnieuw."


class ServerBusyError(AdvisorError):
    """Every work slot stayed busy until the request's deadline."""

    user_message = "De adviseur is op dit moment erg druk; probeer het over een minuut opnieuw."


class IndexBrokenError(IndexNotReadyError):
    """No published index version can be read (damaged pointer or version, no healthy fallback)."""

    user_message = "De adviseur is tijdelijk niet beschikbaar: de index is beschadigd en wordt opnieuw opgebouwd."


class FeedbackUnavailableError(AdvisorError):
    """The feedback database could not be opened (e.g. a read-only data dir)."""

    user_message = "Feedback kan op dit moment niet worden opgeslagen."
