import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from .test_ticking import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
"""


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))


def test_signing_in_and_ticking_break_no_content_security_policy_rule(
    page: Page, live_server, demo
):
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server, "participant@example.com")
    expect(page).to_have_url(re.compile(r"/c/ml-bootcamp-demo/$"))
    page.locator(".week").nth(8).get_by_role("button").click()
    expect(page.locator("#summary")).to_contain_text("9 of 17 weeks")
    assert page.evaluate("window.__violations") == []
    assert not [text for text in console if "Content Security Policy" in text]
