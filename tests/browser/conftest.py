"""Browser tests: Debian's chromium driven by Playwright for Python against pytest-django's live server.

They are marked `browser` and left out of the default run (pyproject.toml: `-m "not browser"`),
so `make test` needs no browser. `.ci/run` installs chromium (deploy/ensure-chromium.sh) and runs
them as their own step, `pytest -m browser tests/browser`, where a missing browser is a failure,
never a skip. Playwright never downloads a browser here: it launches the system executable.
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

# The system chromium (Debian's package: /usr/bin/chromium); CHROMIUM_BIN names or points at another one.
CHROMIUM_NAME = os.environ.get("CHROMIUM_BIN") or "chromium"
CHROMIUM = shutil.which(CHROMIUM_NAME) or CHROMIUM_NAME
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container, where chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def artifacts() -> Path:
    """artifacts/ at the repository root (git-ignored): screenshots CI keeps."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser(monkeypatch):
    """A headless chromium, started and stopped within the test.

    Playwright's sync API keeps an asyncio loop running in this thread while it is
    alive, and Django refuses ORM calls from a thread with a running loop unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set. Function scope keeps that permission (and the
    loop) to the browser tests: the rest of a session runs with Django's check on.
    """
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"no chromium ({CHROMIUM_NAME}): install chromium: apt-get install -y chromium "
                    "(or set CHROMIUM_BIN)", pytrace=False)  # fmt: skip
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -r requirements-dev.txt", pytrace=False)

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server, artifacts, request):
    """A page that can reach the live server only: any other request is aborted, so a test
    never depends on the network (cover images on a CDN simply do not load)."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url)
                  else route.abort())  # fmt: skip
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=artifacts / f"failed-{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep the call phase's report on the item, so `page` can screenshot a failure."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
