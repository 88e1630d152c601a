"""topics: topic clustering, reports, the command line and the service, built on :mod:`index`.

``from topics import TopicMap`` is the notebook API (:mod:`topics.notebook`); it is imported on first
use, so that the command line starts without loading the model's libraries.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["TopicMap", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "TopicMap":
        from .notebook import TopicMap

        return TopicMap
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
