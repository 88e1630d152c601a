"""The HTTP service (see :mod:`topics.service.app`): routers per domain over the Python API."""

from .app import MAX_BATCH, MAX_BODY_BYTES, create_app, serve

__all__ = ["MAX_BATCH", "MAX_BODY_BYTES", "create_app", "serve"]
