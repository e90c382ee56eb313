"""The CSV roster import under hostile files: random bytes, huge files, Korean encodings,
spreadsheet formulas. Never a 500, never a partial import, big files refused by their size."""

import csv
import io
import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohorts.models import Invitation
from cohorts.roster import FORMULA_PREFIXES, MAX_BYTES, csv_lines, import_roster, preview
from tests.factories import MembershipFactory

from .conftest import post_and_undo

pytestmark = pytest.mark.django_db

hostile_settings = settings(
    max_examples=50, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)  # every modern syllable
korean_names = st.text(HANGUL, min_size=1, max_size=12)
FORMULAS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example.com\")", "+1+1", "-2+3", "@SUM(A1:A9)",
            "\t=1", "=1", "+", "-", "@"]


def roster_url(world) -> str:
    return reverse("cohorts:organize-roster", args=[world.cohort.slug])


def upload(client, url, data: bytes, name="roster.csv"):
    return post_and_undo(client, url, {"file": SimpleUploadedFile(name, data, "text/csv")})


@pytest.fixture
def organizer_client(world):
    return world.client("organizer")


@hostile_settings
@given(data=st.binary(max_size=4000))
def test_random_bytes_preview_without_error_or_write(world, organizer_client, data):
    response, written = upload(organizer_client, roster_url(world), data)
    assert response.status_code == 200 and written == []
    result = preview(cohort=world.cohort, data=data)
    assert result.errors or result.rows or data.strip() == b""


@hostile_settings
@given(
    text=st.text(st.characters(blacklist_categories=["Cs"]), max_size=2000),
    header=st.booleans(),
)
def test_random_text_imports_all_or_nothing(world, text, header):
    text = ("email,name,role\n" if header else "") + text
    with transaction.atomic():
        try:
            invitations = import_roster(cohort=world.cohort, text=text, actor=world.mine.organizer.user)
        except ValidationError:
            assert not Invitation.objects.filter(cohort=world.cohort).exclude(pk=world.mine.invitation.pk).exists()
        else:
            assert len(invitations) == len(preview(cohort=world.cohort, data=text.encode()).rows)
        transaction.set_rollback(True)


row_strategy = st.tuples(
    st.one_of(st.from_regex(r"[a-z]{1,8}@example\.com", fullmatch=True), st.sampled_from(["", "not-mail", "=x@"])),
    st.one_of(korean_names, st.sampled_from(FORMULAS), st.just("")),
    st.sampled_from(["participant", "organizer", "참가자", "운영진", "", "admin"]),
)


@hostile_settings
@given(rows=st.lists(row_strategy, min_size=1, max_size=15))
def test_mixed_rows_import_every_row_or_none(world, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([("email", "name", "role"), *rows])
    text = buffer.getvalue()
    expected = preview(cohort=world.cohort, data=text.encode())
    with transaction.atomic():
        before = Invitation.objects.count()
        try:
            import_roster(cohort=world.cohort, text=text, actor=world.mine.organizer.user)
        except ValidationError:
            assert not expected.valid and Invitation.objects.count() == before
        else:
            assert expected.valid and Invitation.objects.count() == before + len(rows)
        transaction.set_rollback(True)


@hostile_settings
@given(names=st.lists(korean_names, min_size=1, max_size=8), encoding=st.sampled_from(["cp949", "utf-8", "utf-8-sig"]))
def test_korean_names_survive_cp949_and_utf8(world, organizer_client, names, encoding):
    lines = ["email,name,role,display_name"] + [
        f"person{i}@example.com,{name},참가자,{name[:4]}" for i, name in enumerate(names)
    ]
    data = "\r\n".join(lines).encode(encoding)
    result = preview(cohort=world.cohort, data=data)
    assert result.valid and [r.name for r in result.rows] == names
    with transaction.atomic():
        import_roster(cohort=world.cohort, text=result.text, actor=world.mine.organizer.user)
        stored = list(
            Invitation.objects.filter(email__startswith="person").order_by("email").values_list("email", "name")
        )
        transaction.set_rollback(True)
    assert sorted(stored) == sorted((f"person{i}@example.com", n) for i, n in enumerate(names))


def test_an_euc_kr_file_is_read_as_cp949(world):
    data = "email,name,role\nkim@example.com,김민준,참가자\n".encode("euc_kr")
    result = preview(cohort=world.cohort, data=data)
    assert result.valid and result.encoding == "CP949 (EUC-KR)" and result.rows[0].name == "김민준"


@hostile_settings
@given(cells=st.lists(st.one_of(st.sampled_from(FORMULAS), st.text(max_size=30)), min_size=1, max_size=6))
def test_exported_cells_never_start_a_formula(cells):
    text = "".join(csv_lines(["h"] * len(cells), [cells])).lstrip("\ufeff")
    parsed = list(csv.reader(io.StringIO(text)))[1]
    for original, exported in zip(cells, parsed):
        assert not exported.startswith(FORMULA_PREFIXES)
        assert exported in {original, "'" + original}


def test_formula_names_are_imported_as_text_and_exported_inert(world, organizer_client):
    for i, formula in enumerate(FORMULAS):
        MembershipFactory(cohort=world.cohort, display_name=formula or "x")
    response = organizer_client.get(reverse("cohorts:organize-csv", args=[world.cohort.slug]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), cell
    assert "'=cmd|' /C calc'!A0" in text


@pytest.mark.parametrize("size", [MAX_BYTES + 1, 5 * MAX_BYTES])
def test_an_oversized_upload_is_refused_with_a_clear_message(world, organizer_client, size):
    data = b"email,name,role\n" + b"a" * size
    response, written = upload(organizer_client, roster_url(world), data)
    assert response.status_code == 200 and written == []
    assert "The file is larger than 2 MB." in response.content.decode()
    assert "preview-heading" not in response.content.decode()  # nothing was parsed


def _confirm_form(html: str) -> tuple[str, str]:
    """The confirmation form of the preview page: its enctype and the roster text it carries."""
    form = re.search(r'<form method="post"([^>]*)>(?:(?!</form>).)*name="confirm"', html, re.S)
    assert form, "no confirmation form on the preview page"
    enctype = re.search(r'enctype="([^"]+)"', form.group(1))
    text = re.search(r'name="text" value="([^"]*)"', form.group(0), re.S)
    return (enctype.group(1) if enctype else "application/x-www-form-urlencoded"), unescape(text.group(1))


def test_the_largest_korean_roster_can_be_previewed_and_confirmed(world, organizer_client):
    """A roster just under the limit, in CP949, goes through the page's own two forms."""
    name = "가나다라마바사아자차카타파하" * 3  # long rows: under MAX_ROWS at 2 MB
    row_bytes = len(f"\r\np00000@example.com,{name},참가자".encode("cp949"))
    count = (MAX_BYTES - 100) // row_bytes
    rows = ["email,name,role"] + [f"p{i:05d}@example.com,{name},참가자" for i in range(count)]
    data = "\r\n".join(rows).encode("cp949")
    assert MAX_BYTES - 400 < len(data) <= MAX_BYTES
    url = roster_url(world)
    page = organizer_client.post(url, {"file": SimpleUploadedFile("big.csv", data, "text/csv")})
    assert page.status_code == 200
    enctype, text = _confirm_form(page.content.decode())
    text = text.replace("\n", "\r\n") if "\r\n" not in text else text
    if enctype == "multipart/form-data":
        response = organizer_client.post(url, {"confirm": "1", "text": text})
    else:
        body = urlencode({"confirm": "1", "text": text})
        response = organizer_client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert Invitation.objects.filter(cohort=world.cohort).count() == 1 + len(rows) - 1
