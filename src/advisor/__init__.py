"""advisor: a Dutch-language advisor over an organisation's own publications.

The public names load lazily so `advisor --help` and light imports stay instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Advisor", "AdvisorSettings", "Answer", "Citation", "IngestReport", "Turn", "AdvisorError",
           "get_settings"]

_LOCATIONS = {
    "Advisor": "advisor.advisor",
    "AdvisorSettings": "advisor.settings",
    "get_settings": "advisor.settings",
    "Answer": "advisor.types",
    "Citation": "advisor.types",
    "IngestReport": "advisor.types",
    "Turn": "advisor.types",
    "AdvisorError": "advisor.errors",
}

if TYPE_CHECKING:  # pragma: no cover
    from .advisor import Advisor
    from .errors import AdvisorError
    from .settings import AdvisorSettings, get_settings
    from .types import Answer, Citation, IngestReport, Turn


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        import importlib

        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
