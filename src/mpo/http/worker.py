"""The app factories uvicorn imports in each worker process (`mpo serve --workers N`)."""

from __future__ import annotations

from fastapi import FastAPI

from mpo.config.settings import resolve
from mpo.http.app import create_app


def app() -> FastAPI:
    """An app for this worker, from the environment `mpo serve` set."""
    return create_app(resolve())


def bound_app() -> FastAPI:
    """The same under `--client-certs required`: every token bound to its certificate."""
    return create_app(resolve(), client_certs="required")
