import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from cohorts.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))


def sign_in(page: Page, live_server, email: str, password: str = "bootcamp-demo"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_the_demo_participant_ticks_a_week_without_a_reload(page: Page, live_server, demo):
    sign_in(page, live_server, "participant@example.com")
    expect(page).to_have_url(re.compile(r"/c/ml-bootcamp-demo/$"))
    expect(page.locator("#summary")).to_contain_text("8 of 17 weeks")
    page.evaluate("window.__noReload = true")
    week = page.locator(".week").nth(8)
    week.get_by_role("button").click()
    expect(page.locator("#summary")).to_contain_text("9 of 17 weeks")
    expect(week.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__noReload") is True  # same document: htmx swapped, no reload
    membership = Membership.objects.get(user__email="participant@example.com")
    assert membership.weeks_done == 9
