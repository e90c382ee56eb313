"""Korean and English: the catalog is complete, the switcher works, the account keeps the choice."""

import ast
import re
import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import User
from tests.factories import DeadlineFactory

pytestmark = pytest.mark.django_db

KOREAN_CATALOG = settings.BASE_DIR / "locale" / "ko" / "LC_MESSAGES" / "django.po"
# Everything makemessages must read: the apps and the templates, not the tools or third parties.
NOT_SOURCE = {"locale", "tests", "bench", "docs", "scripts", "node_modules", "staticfiles", "static"}


def read_catalog(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgstr (every plural form) and flags."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := re.fullmatch(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")', line):
            key = match.group(1)
            value = ast.literal_eval(match.group(2))
            if key.startswith("msgstr"):
                entry["msgstr"][key] = value
            else:
                entry[key] = value
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key.startswith("msgstr"):
                entry["msgstr"][key] += value
            else:
                entry[key] += value
    return entries


def untranslated(entries: list[dict]) -> list[str]:
    return [
        entry["msgid"] for entry in entries
        if entry["msgid"] and ("fuzzy" in entry["flags"] or not all(entry["msgstr"].values()))
    ]


def test_the_korean_catalog_has_no_untranslated_or_fuzzy_entry():
    entries = read_catalog(KOREAN_CATALOG)
    assert len(entries) > 600
    assert untranslated(entries) == []


def test_every_string_in_the_source_is_in_the_korean_catalog(tmp_path, monkeypatch, settings):
    """makemessages over a copy of the catalog: a new string nobody translated fails here."""
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is missing: `make test` installs it (make system-deps)")
    catalog = tmp_path / "locale" / "ko" / "LC_MESSAGES" / "django.po"
    catalog.parent.mkdir(parents=True)
    shutil.copy(KOREAN_CATALOG, catalog)
    for source in settings.BASE_DIR.iterdir():
        if source.is_dir() and not source.name.startswith(".") and source.name not in NOT_SOURCE:
            if not source.name.endswith(".egg-info"):
                (tmp_path / source.name).symlink_to(source)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["ko"], symlinks=True, no_obsolete=True, verbosity=0)
    entries = read_catalog(catalog)
    assert untranslated(entries) == [], "run makemessages -l ko, translate, commit"
    committed = {entry["msgid"] for entry in read_catalog(KOREAN_CATALOG)}
    assert committed - {entry["msgid"] for entry in entries} == set(), "obsolete: makemessages"


def test_an_anonymous_visitor_switches_to_korean_and_back(client):
    login = reverse("account_login")
    assert '<html lang="en">' in client.get(login).content.decode()
    response = client.post(reverse("set_language"), {"language": "ko", "next": login})
    assert response.status_code == 302 and response.url == login
    body = client.get(login).content.decode()
    assert '<html lang="ko">' in body and "로그인" in body
    client.post(reverse("set_language"), {"language": "en", "next": login})
    assert '<html lang="en">' in client.get(login).content.decode()


def test_a_signed_in_switch_is_stored_and_follows_the_user_to_another_browser(
    participant_client, participant
):
    dashboard = reverse("cohorts:dashboard", args=[participant.cohort.slug])
    participant_client.post(reverse("set_language"), {"language": "ko", "next": dashboard})
    participant.user.refresh_from_db()
    assert participant.user.language == "ko"
    other_browser = Client()
    other_browser.force_login(participant.user)
    body = other_browser.get(dashboard).content.decode()
    assert '<html lang="ko">' in body and "내 진행 상황" in body


def test_the_stored_language_wins_over_the_browsers(client, participant):
    User.objects.filter(pk=participant.user.pk).update(language="ko")
    client.force_login(participant.user)
    response = client.get(
        reverse("cohorts:dashboard", args=[participant.cohort.slug]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert '<html lang="ko">' in response.content.decode()


def test_a_korean_dashboard_shows_korean_dates_and_a_relative_countdown(client, participant):
    participant.cohort.time_zone = "Asia/Seoul"
    participant.cohort.save(update_fields=["time_zone"])
    # 20:00 UTC is 05:00 the next day in Seoul: the page must show Seoul's date.
    due_at = (timezone.now() + timedelta(days=10)).replace(hour=20, minute=0, second=0, microsecond=0)
    DeadlineFactory(cohort=participant.cohort, title="Mission 1", through_course=1, due_at=due_at)
    User.objects.filter(pk=participant.user.pk).update(language="ko")
    client.force_login(participant.user)
    body = client.get(reverse("cohorts:dashboard", args=[participant.cohort.slug])).content.decode()
    due = due_at.astimezone(ZoneInfo("Asia/Seoul"))
    assert f"{due.year}년 {due.month}월 {due.day}일 5:00 오전" in body
    assert re.search(r'class="countdown">1주, [23]일 후<', body)


def test_the_language_chosen_before_signing_in_is_stored_on_the_account(client, participant):
    EmailAddress.objects.create(
        user=participant.user, email=participant.user.email, verified=True, primary=True
    )
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    client.post(reverse("account_login"), {"login": participant.user.email, "password": "secret-pass-123"})
    participant.user.refresh_from_db()
    assert participant.user.language == "ko"
    body = client.get(reverse("cohorts:dashboard", args=[participant.cohort.slug])).content.decode()
    assert '<html lang="ko">' in body


def test_the_signed_in_message_speaks_the_accounts_language(client, participant):
    User.objects.filter(pk=participant.user.pk).update(language="ko")
    EmailAddress.objects.create(
        user=participant.user, email=participant.user.email, verified=True, primary=True
    )
    response = client.post(
        reverse("account_login"),
        {"login": participant.user.email, "password": "secret-pass-123"},
        HTTP_ACCEPT_LANGUAGE="en", follow=True,
    )
    body = response.content.decode()
    assert '<html lang="ko">' in body
    assert f"{participant.user.email} 으로 로그인 되었습니다." in body  # allauth's own Korean


# The names makemessages (xgettext) reads as translatable; any other alias hides strings from it.
EXTRACTED_NAMES = {
    "_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
    "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy",
}


def test_translation_functions_keep_names_that_makemessages_extracts():
    hidden = []
    for source in settings.BASE_DIR.glob("*/**/*.py"):
        top = source.relative_to(settings.BASE_DIR).parts[0]
        if top.startswith(".") or top in NOT_SOURCE or top.endswith(".egg-info"):
            continue
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                hidden += [
                    f"{source.relative_to(settings.BASE_DIR)}: {alias.name} as {alias.asname}"
                    for alias in node.names
                    if alias.asname and alias.asname not in EXTRACTED_NAMES
                ]
    assert hidden == []
