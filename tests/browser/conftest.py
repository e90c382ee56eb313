import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser here."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "timezone_id": "Asia/Seoul"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)




@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as pinned in package.json (`make test` runs `npm ci`)."""
    from django.conf import settings

    path = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does)")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    """Run axe-core in a page; returns the serious and critical violations, readable in a failure."""

    def run(page) -> list[str]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Through the DevTools protocol, so the page's Content-Security-Policy stays as served.
            page.evaluate(f"() => {{ {axe_source}\n }}")
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{violation['impact']} {violation['id']}: {violation['help']} at "
            + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            for violation in results["violations"]
            if violation["impact"] in {"serious", "critical"}
        ]

    return run
