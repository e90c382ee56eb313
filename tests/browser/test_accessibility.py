"""axe-core in the real pages, the 360 px layout, and the organizer table on paper."""

import pytest
from playwright.sync_api import Page, expect

from cohorts.models import User

from .test_ticking import demo, sign_in  # noqa: F401 - the demo fixture

pytestmark = pytest.mark.django_db(transaction=True)

DEMO = "/c/ml-bootcamp-demo"
PAGES = {
    "participant@example.com": [f"{DEMO}/", f"{DEMO}/leaderboard/"],
    "organizer@example.com": [f"{DEMO}/organize/", f"{DEMO}/organize/verify/"],
}


def horizontal_overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_no_serious_or_critical_axe_violation_on_the_main_pages(
    browser, live_server, demo, axe, language  # noqa: F811
):
    User.objects.filter(email__in=PAGES).update(language=language)
    found = {}
    context = browser.new_context(locale="ko-KR" if language == "ko" else "en-US")
    page = context.new_page()
    for path in ["/accounts/login/", "/accounts/signup/"]:
        page.goto(live_server.url + path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        found[path] = axe(page)
    context.close()
    for email, paths in PAGES.items():
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        sign_in(page, live_server, email)
        for path in paths:
            page.goto(live_server.url + path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            found[path] = axe(page)
        context.close()
    assert {path: violations for path, violations in found.items() if violations} == {}


def test_at_360_px_the_page_never_scrolls_sideways_and_wide_tables_scroll_in_place(
    browser, live_server, demo  # noqa: F811
):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert horizontal_overflow(page) == 0
    sign_in(page, live_server, "organizer@example.com")
    for path in [f"{DEMO}/", f"{DEMO}/leaderboard/", f"{DEMO}/organize/", f"{DEMO}/organize/verify/"]:
        page.goto(live_server.url + path)
        assert horizontal_overflow(page) == 0, path
    page.goto(f"{live_server.url}{DEMO}/organize/")
    scroller = page.get_by_role("group", name="Participants")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    scroller.focus()
    page.keyboard.press("ArrowRight")  # focusable, so the keyboard scrolls it too
    expect(scroller).to_be_focused()
    context.close()


def test_the_organizer_table_prints_whole_without_the_controls(page: Page, live_server, demo):  # noqa: F811
    sign_in(page, live_server, "organizer@example.com")
    page.goto(f"{live_server.url}{DEMO}/organize/")
    page.emulate_media(media="print")
    for hidden in [".site-header", ".filters", ".nudge", ".tabs"]:
        expect(page.locator(hidden)).to_be_hidden()
    table = page.locator("table.participants")
    expect(table).to_be_visible()
    assert page.get_by_role("group", name="Participants").evaluate(
        "e => getComputedStyle(e).overflowX"
    ) == "visible"
    assert table.locator("tbody tr").first.locator("td").first.evaluate(
        "e => getComputedStyle(e).display"
    ) == "none"  # the selection checkboxes are for the screen only
