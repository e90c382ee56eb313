import csv
import io

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from cohorts.invitations import accept_invitations, join_with_code
from cohorts.models import AuditEvent, Invitation, Membership, User
from cohorts.roster import csv_lines, import_roster, neutralise, preview
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "email,name,role,display_name\nkim@example.com,김민준,participant,민준\nlee@example.com,Lee Seoyeon,organizer,\n"


def test_a_clean_file_previews_without_errors(cohort):
    result = preview(cohort=cohort, data=GOOD.encode("utf-8"))
    assert result.valid and result.encoding == "UTF-8"
    assert [(r.email, r.name, r.role, r.display_name) for r in result.rows] == [
        ("kim@example.com", "김민준", "participant", "민준"),
        ("lee@example.com", "Lee Seoyeon", "organizer", ""),
    ]


def test_a_cp949_file_with_korean_names_is_read_and_says_so(cohort):
    data = "email,name,role\npark@example.com,박서연,참가자\nchoi@example.com,최지우,participant\n".encode("cp949")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = preview(cohort=cohort, data=data)
    assert result.valid and result.encoding == "CP949 (EUC-KR)"
    assert [r.name for r in result.rows] == ["박서연", "최지우"]


def test_a_utf8_file_with_a_bom_is_read(cohort):
    result = preview(cohort=cohort, data=GOOD.encode("utf-8-sig"))
    assert result.valid and result.rows[0].email == "kim@example.com"


def test_binary_junk_is_refused_clearly(cohort):
    result = preview(cohort=cohort, data=b"PK\x03\x04\x00\x00binary xlsx")
    assert not result.valid and "not a text CSV" in result.errors[0]


def test_every_bad_row_gets_its_own_error(cohort, participant):
    data = (
        "email,name,role\n"
        "ok@example.com,Fine,participant\n"
        "not-an-email,Bad Email,participant\n"
        "ok@example.com,Twice,participant\n"
        f"{participant.user.email},Member,participant\n"
        "boss@example.com,Boss,admin\n"
    ).encode()
    result = preview(cohort=cohort, data=data)
    errors = {row.line: " ".join(row.errors) for row in result.rows}
    assert not result.valid and result.error_count == 4
    assert errors[2] == ""
    assert "not a valid email" in errors[3]
    assert "Duplicate of line 2" in errors[4]
    assert "Already a member" in errors[5]
    assert "Unknown role" in errors[6]


def test_missing_columns_are_reported(cohort):
    result = preview(cohort=cohort, data=b"mail,name\nx@example.com,X\n")
    assert not result.valid and "missing: email, role" in result.errors[0]


def test_import_is_all_or_nothing(cohort, organizer):
    bad = GOOD + "broken,Nobody,participant\n"
    with pytest.raises(ValidationError):
        import_roster(cohort=cohort, text=bad, actor=organizer.user)
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROSTER_IMPORTED).exists()


def test_import_invites_everyone_and_emails_a_link(cohort, organizer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitations = import_roster(cohort=cohort, text=GOOD, actor=organizer.user)
    assert {i.email for i in invitations} == {"kim@example.com", "lee@example.com"}
    assert len(mail.outbox) == 2
    kim = Invitation.objects.get(email="kim@example.com")
    message = next(m for m in mail.outbox if m.to == ["kim@example.com"])
    assert f"/invite/{kim.token}/" in message.body and cohort.name in message.subject
    assert kim.sent_at is not None
    assert AuditEvent.objects.get(action=AuditEvent.Action.ROSTER_IMPORTED).data["invited"] == 2
    # A second import of the same file is refused row by row.
    assert not preview(cohort=cohort, data=GOOD.encode()).valid


def _verified_user(email, password="secret-pass-123"):
    user = UserFactory(email=email)
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_an_invited_person_joins_when_they_sign_in(client, cohort, organizer):
    import_roster(cohort=cohort, text=GOOD, actor=organizer.user)
    user = _verified_user("kim@example.com")
    response = client.post(reverse("account_login"), {"login": "KIM@example.com", "password": "secret-pass-123"})
    assert response.status_code == 302
    membership = Membership.objects.get(cohort=cohort, user=user)
    assert membership.role == Membership.Role.PARTICIPANT and membership.display_name == "민준"
    assert Invitation.objects.get(email="kim@example.com").accepted_at is not None
    # Signing in again changes nothing.
    assert accept_invitations(user=user) == []


def test_an_unverified_address_does_not_join(cohort, organizer):
    import_roster(cohort=cohort, text=GOOD, actor=organizer.user)
    user = UserFactory(email="kim@example.com")
    EmailAddress.objects.create(user=user, email="kim@example.com", verified=False, primary=True)
    assert accept_invitations(user=user) == []


def test_the_invitation_page_joins_a_signed_in_invitee(client, cohort, organizer):
    import_roster(cohort=cohort, text=GOOD, actor=organizer.user)
    invitation = Invitation.objects.get(email="lee@example.com")
    url = reverse("cohorts:invitation", args=[invitation.token])
    assert client.get(url).status_code == 200  # anonymous: sign up or sign in
    stranger = _verified_user("stranger@example.com")
    client.force_login(stranger)
    assert client.post(url).status_code == 403
    client.force_login(_verified_user("lee@example.com"))
    assert client.post(url).status_code == 302
    assert Membership.objects.get(cohort=cohort, user__email="lee@example.com").is_organizer


def test_join_code(client, cohort):
    cohort.join_code = "ML2026"
    cohort.save()
    user = UserFactory(name="Han")
    with pytest.raises(ValidationError):
        join_with_code(user=user, code="nope")
    client.force_login(user)
    response = client.post(reverse("cohorts:join"), {"code": "ml2026"})
    assert response.status_code == 302
    membership = Membership.objects.get(cohort=cohort, user=user)
    assert membership.is_participant and membership.display_name == "Han"
    assert join_with_code(user=user, code="ML2026") == membership


def test_join_page_needs_a_sign_in(client):
    assert client.get(reverse("cohorts:join")).status_code == 302


def test_cells_that_start_a_formula_are_neutralised():
    assert [neutralise(v) for v in ["=1+1", "+82", "-3", "@SUM", "\tx", "\rx", "ok", 5, None]] == [
        "'=1+1", "'+82", "'-3", "'@SUM", "'\tx", "'\rx", "ok", "5", "",
    ]
    text = "".join(csv_lines(["name"], [["=HYPERLINK(\"x\")"], ["김민준"]]))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["name"], ["'=HYPERLINK(\"x\")"], ["김민준"]]


def test_a_member_already_invited_elsewhere_can_be_invited_here(cohort, organizer):
    MembershipFactory(user=User.objects.create_user("kim@example.com"))  # another cohort
    assert preview(cohort=cohort, data=GOOD.encode()).valid
