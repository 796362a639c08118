"""A FastAPI app with only the web router mounted, for the web app's tests (until and besides the app factory)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jakcheck.service.web import router


def web_app() -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(web_app()) as c:
        yield c
