"""A live server on loopback and a real Chromium driven by Playwright.

The browser is required: when Chromium is missing the tests fail, they never skip.
Screenshots land in ``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.settings import load_settings

CHROMIUM = os.environ.get("REMTRACK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, url: str, factory: Any, instance_path: Path | None = None) -> None:
        self.url = url
        self.session_factory = factory
        self.instance_path = instance_path

    def load_demo(self) -> dict[str, tuple[str, str]]:
        """Demo data on this server; (user name, password) of the first demo user per role."""
        from workflows.demo import load_demo

        assert self.instance_path is not None
        with self.session_factory.begin() as session:
            found: dict[str, tuple[str, str]] = {}
            for role, user, password in load_demo(session, self.instance_path):
                found.setdefault(role, (user, password))
        return found

    def session(self) -> Session:
        s: Session = self.session_factory()
        return s


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from waitress.server import create_server

    from web.app import create_app

    instance = tmp_path_factory.mktemp("live")
    settings = load_settings(
        env={}, instance_path=instance, database_url=f"sqlite:///{instance / 'live.db'}"
    )
    upgrade(make_engine(settings.database_url))
    app = create_app(settings)
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield LiveServer(
        f"http://127.0.0.1:{port}",
        make_session_factory(make_engine(settings.database_url)),
        instance,
    )
    server.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is required for the browser tests and is not at {CHROMIUM} "
            "(apt-get install chromium, or set REMTRACK_CHROMIUM).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
