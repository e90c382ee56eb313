import re

import pytest
from playwright.sync_api import Page, expect

from cohorts.models import KaggleSubmission

from .test_ticking import demo, sign_in  # noqa: F401 - the demo fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_kaggle_form_checks_the_route_as_you_type_then_submits(page: Page, live_server, demo):  # noqa: F811
    sign_in(page, live_server, "participant@example.com")
    expect(page).to_have_url(re.compile(r"/c/ml-bootcamp-demo/$"))
    page.locator("#summary").get_by_role("link", name="Submit evidence").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kaggle competition")
    page.get_by_label("Competition URL").fill("https://www.kaggle.com/competitions/playground-s5")
    page.get_by_label("Competition title").fill("Playground Series S5")
    page.get_by_label("Category").select_option("playground")
    page.get_by_label("Team size").fill("2")
    page.get_by_label("Number of teams").fill("1000")
    page.get_by_label("Final private leaderboard rank").fill("250")
    page.get_by_label("Evidence URL").fill("https://www.kaggle.com/competitions/playground-s5/leaderboard")
    preview = page.locator("#route-preview")
    expect(preview).to_contain_text("Does not qualify")
    expect(preview).to_contain_text("The rank must be 200 or better")
    page.get_by_label("Final private leaderboard rank").fill("180")
    expect(preview).to_contain_text("Qualifies by the route “Team in Playground or Community, top 20%”")
    mine = KaggleSubmission.objects.filter(membership__user__email="participant@example.com")
    assert not mine.exists()
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.locator("#messages")).to_contain_text("waiting for an organizer's review")
    expect(page.locator("table")).to_contain_text("Playground Series S5")
    assert mine.get().route.name == "Team in Playground or Community, top 20%"
