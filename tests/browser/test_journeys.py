"""End to end against the live server in Debian's Chromium: a newcomer's first day, an organizer's
morning, and the Korean interface."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from cohorts.models import AuditEvent, Invitation, KaggleSubmission, Membership, User

from .test_ticking import demo, sign_in  # noqa: F401 - the demo fixture

pytestmark = pytest.mark.django_db(transaction=True)

DEMO = "/c/ml-bootcamp-demo"


def test_a_newcomer_signs_up_verifies_joins_the_demo_ticks_and_finds_themself_on_the_board(
    page: Page, live_server, demo  # noqa: F811
):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password", exact=False).first.fill("a-long-new-password-42")
    page.get_by_label("Password (again)").fill("a-long-new-password-42")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")

    (message,) = [m for m in mail.outbox if "newcomer@example.com" in m.to]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(live_server.url + re.sub(r"^https?://[^/]+", "", link))
    page.get_by_role("button", name="Confirm").click()

    page.goto(f"{live_server.url}/join/")
    page.get_by_label("Join code").fill("DEMO2026")
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(re.compile(rf"{DEMO}/$"))
    expect(page.locator("#messages")).to_contain_text("You joined Google ML Bootcamp Demo")
    expect(page.locator("#summary")).to_contain_text("0 of 17 weeks")

    # By keyboard alone: focus stays on the ticked week, and the live region says what changed.
    first, second = page.locator("button.tick").nth(0), page.locator("button.tick").nth(1)
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#progress-status")).to_contain_text("1 of 17 weeks")
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the notes link of the week just ticked
    expect(second).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#summary")).to_contain_text("2 of 17 weeks")
    newcomer = Membership.objects.get(user__email="newcomer@example.com")
    assert newcomer.weeks_done == 2

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboard").click()
    you = page.locator("#board tr.you").first
    expect(you).to_contain_text(newcomer.display_name)
    expect(you).to_contain_text("2")
    expect(page.locator("#board")).to_contain_text(re.compile(r"You are #\d+ of \d+"))


def test_the_organizer_sees_who_is_at_risk_and_imports_a_roster_whose_invitee_joins_by_email(
    page: Page, live_server, demo  # noqa: F811
):
    sign_in(page, live_server, "organizer@example.com")
    page.goto(f"{live_server.url}{DEMO}/organize/")
    at_risk = page.locator("a.risk-count.risk-at_risk")
    count = int(at_risk.locator(".risk-count-number").inner_text())
    assert count > 0
    at_risk.click()
    rows = page.locator("table.participants tbody tr")
    expect(rows).to_have_count(min(count, 50))
    expect(rows.first.locator(".badge.risk-at_risk")).to_have_text("At risk")

    page.get_by_role("navigation", name="Organizer console").get_by_role("link", name="Roster").click()
    roster = "email,name,role,display_name\nnew.one@example.com,새 참가자,participant,새내기\nhelper@example.com,Helper,organizer,\n"
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": roster.encode("utf-8")}]
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-heading")).to_be_visible()
    expect(page.get_by_role("group", name="Preview")).to_contain_text("새 참가자")
    page.get_by_role("button", name="Invite 2 people").click()
    expect(page.locator("#messages")).to_contain_text("2 invitations sent.")
    assert set(Invitation.objects.values_list("email", flat=True)) >= {
        "new.one@example.com", "helper@example.com"
    }
    assert {"new.one@example.com", "helper@example.com"} <= {m.to[0] for m in mail.outbox}

    page.get_by_role("button", name="Sign out").click()
    (invitation,) = [m for m in mail.outbox if m.to == ["new.one@example.com"]]
    link = re.search(r"https?://\S+/invite/\S+/", invitation.body).group(0)
    page.goto(live_server.url + re.sub(r"^https?://[^/]+", "", link))
    expect(page.get_by_role("heading", level=1)).to_have_text("You are invited to Google ML Bootcamp Demo")
    page.locator("main").get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("new.one@example.com")
    page.get_by_label("Password", exact=False).first.fill("a-long-new-password-42")
    page.get_by_label("Password (again)").fill("a-long-new-password-42")
    page.get_by_role("button", name="Sign Up").click()
    (confirmation,) = [
        m for m in mail.outbox if m.to == ["new.one@example.com"] and "confirm-email" in m.body
    ]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", confirmation.body).group(0)
    page.goto(live_server.url + re.sub(r"^https?://[^/]+", "", link))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#messages")).to_contain_text("You joined Google ML Bootcamp Demo")
    invitee = Membership.objects.get(user__email="new.one@example.com", cohort__slug="ml-bootcamp-demo")
    assert (invitee.role, invitee.display_name) == ("participant", "새내기")
    page.goto(f"{live_server.url}{DEMO}/")
    expect(page.locator("#summary")).to_contain_text("0 of 17 weeks")


def test_the_organizer_eliminates_reinstates_and_verifies_a_kaggle_result(
    page: Page, live_server, demo  # noqa: F811
):
    sign_in(page, live_server, "organizer@example.com")
    target = (
        Membership.objects.filter(cohort__slug="ml-bootcamp-demo", role="participant", status="active")
        .exclude(user__email="participant@example.com")
        .order_by("display_name")
        .first()
    )
    page.goto(f"{live_server.url}{DEMO}/organize/?q={target.user.email}")
    page.locator("table.participants").get_by_role("link", name=target.display_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(target.display_name)

    eliminate = page.locator("form[action$='/eliminate/']")
    eliminate.get_by_label("Reason").fill("No activity since the first mission")
    eliminate.get_by_role("button", name="Eliminate").click()
    expect(page.locator("#messages")).to_contain_text("Saved and recorded.")
    expect(page.locator(".badge.status-eliminated").first).to_be_visible()
    target.refresh_from_db()
    assert target.status == Membership.Status.ELIMINATED

    reinstate = page.locator("form[action$='/reinstate/']")
    reinstate.get_by_label("Reason").fill("Was on sick leave")
    reinstate.get_by_role("button", name="Reinstate").click()
    expect(page.locator("#messages")).to_contain_text("Saved and recorded.")
    target.refresh_from_db()
    assert target.status == Membership.Status.ACTIVE
    assert AuditEvent.objects.filter(membership=target).count() >= 2

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Verify").click()
    submission = KaggleSubmission.objects.filter(
        membership__cohort__slug="ml-bootcamp-demo", status="submitted"
    ).order_by("submitted_at", "pk").first()
    card = page.locator(f"#review-kaggle-{submission.pk}")
    expect(card).to_contain_text(submission.competition_title)
    card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("Approved")
    submission.refresh_from_db()
    assert submission.status == "approved"


def test_switching_to_korean_shows_korean_before_and_after_signing_in(
    page: Page, live_server, demo  # noqa: F811
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Language").select_option("ko")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("로그인")

    page.get_by_label("이메일").fill("participant@example.com")
    page.get_by_label("비밀번호").fill("bootcamp-demo")
    page.locator("main").get_by_role("button", name="로그인").click()
    expect(page).to_have_url(re.compile(rf"{DEMO}/$"))
    expect(page.locator("#summary")).to_contain_text("17주 중 8주")
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^\d+(주|일|시간|분)(, \d+(일|시간|분))? 후$"))
    expect(page.get_by_role("navigation", name="주 메뉴")).to_contain_text("리더보드")
    assert User.objects.get(email="participant@example.com").language == "ko"

    page.get_by_role("link", name="리더보드").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("리더보드")
    expect(page.locator("#board")).to_contain_text("완주 순서")
