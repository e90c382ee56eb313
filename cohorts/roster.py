"""The roster as CSV: import with a preview and per-row errors (all or nothing), and export."""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEvent, Cohort, Invitation, Membership
from .notifications import enqueue_on_commit

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = ["email", "name", "role"]
OPTIONAL_COLUMNS = ["display_name"]
# Encodings tried in order; CP949 is a superset of EUC-KR, which Korean Excel writes.
ENCODINGS = [("utf-8-sig", gettext_lazy("UTF-8")), ("cp949", gettext_lazy("CP949 (EUC-KR)"))]
ROLE_NAMES = {
    "participant": Membership.Role.PARTICIPANT,
    "organizer": Membership.Role.ORGANIZER,
    "참가자": Membership.Role.PARTICIPANT,
    "운영진": Membership.Role.ORGANIZER,
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RosterRow:
    line: int
    email: str
    name: str
    role: str
    display_name: str
    errors: list[str] = field(default_factory=list)


@dataclass
class RosterPreview:
    text: str
    encoding: str
    rows: list[RosterRow]
    errors: list[str]  # errors about the whole file

    @property
    def valid(self) -> bool:
        return not self.errors and bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(1 for r in self.rows if r.errors)


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with; binary junk is refused."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 2 MB."))
    if b"\x00" in data:
        raise ValidationError(_("This is not a text CSV file (it contains binary data)."))
    for encoding, label in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
        if controls:
            raise ValidationError(_("This is not a text CSV file (it contains control characters)."))
        return text, str(label)
    raise ValidationError(
        _("The file is neither UTF-8 nor CP949/EUC-KR text. Save it as CSV UTF-8 and try again.")
    )


def parse(*, cohort: Cohort, text: str, encoding: str = "") -> RosterPreview:
    """Check every row against the cohort; nothing is written."""
    reader = csv.reader(io.StringIO(text))
    try:
        rows = [row for row in reader]
    except csv.Error as error:
        return RosterPreview(text, encoding, [], [_("The file is not valid CSV: %(error)s") % {"error": error}])
    rows = [(n, row) for n, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not rows:
        return RosterPreview(text, encoding, [], [_("The file is empty.")])
    header_line, header = rows[0]
    header = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return RosterPreview(
            text, encoding, [],
            [_("The first row must name the columns email, name, role (and optionally display_name); missing: %(missing)s.")
             % {"missing": ", ".join(missing)}],
        )
    if len(rows) - 1 > MAX_ROWS:
        return RosterPreview(text, encoding, [], [_("The file has more than %(max)s rows.") % {"max": MAX_ROWS}])
    index = {name: header.index(name) for name in COLUMNS + OPTIONAL_COLUMNS if name in header}

    def cell(row, name):
        position = index.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    parsed = []
    for line, row in rows[1:]:
        role_name = cell(row, "role")
        parsed.append(
            RosterRow(
                line=line,
                email=cell(row, "email").lower(),
                name=cell(row, "name"),
                role=ROLE_NAMES.get(role_name.lower(), "") if role_name else Membership.Role.PARTICIPANT,
                display_name=cell(row, "display_name"),
            )
        )
        if role_name and not parsed[-1].role:
            parsed[-1].errors.append(_("Unknown role “%(role)s”: use participant or organizer.") % {"role": role_name})
    _check_rows(cohort, parsed)
    return RosterPreview(text, encoding, parsed, [])


def _check_rows(cohort: Cohort, rows: list[RosterRow]) -> None:
    emails = [r.email for r in rows if r.email]
    members = set(
        cohort.memberships.filter(user__email__in=emails).values_list("user__email", flat=True)
    )
    invited = set(cohort.invitations.filter(email__in=emails).values_list("email", flat=True))
    seen: dict[str, int] = {}
    for row in rows:
        if not row.email:
            row.errors.append(_("The email is missing."))
        else:
            try:
                validate_email(row.email)
            except ValidationError:
                row.errors.append(_("“%(email)s” is not a valid email address.") % {"email": row.email})
            if row.email in seen:
                row.errors.append(
                    _("Duplicate of line %(line)s.") % {"line": seen[row.email]}
                )
            else:
                seen[row.email] = row.line
            if row.email in members:
                row.errors.append(_("Already a member of this cohort."))
            elif row.email in invited:
                row.errors.append(_("Already invited to this cohort."))
        if not row.name:
            row.errors.append(_("The name is missing."))
        if len(row.name) > 150 or len(row.display_name) > 80:
            row.errors.append(_("The name or display name is too long."))


def preview(*, cohort: Cohort, data: bytes) -> RosterPreview:
    try:
        text, encoding = decode(data)
    except ValidationError as error:
        return RosterPreview("", "", [], list(error.messages))
    return parse(cohort=cohort, text=text, encoding=encoding)


@transaction.atomic
def import_roster(*, cohort: Cohort, text: str, actor) -> list[Invitation]:
    """Invite every row, or nobody if any row has an error; the emails go out on commit."""
    from .tasks import send_invitation

    Cohort.objects.select_for_update().get(pk=cohort.pk)  # one import at a time per cohort
    checked = parse(cohort=cohort, text=text)
    if not checked.valid:
        raise ValidationError(
            _("Nothing was imported: %(count)s rows have errors.") % {"count": checked.error_count}
        )
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                cohort=cohort, email=row.email, name=row.name, role=row.role,
                display_name=row.display_name, invited_by=actor,
            )
            for row in checked.rows
        ]
    )
    AuditEvent.objects.create(
        cohort=cohort, actor=actor, action=AuditEvent.Action.ROSTER_IMPORTED,
        data={"invited": len(invitations), "emails": [i.email for i in invitations][:200]},
    )
    enqueue_on_commit(send_invitation, [invitation.pk for invitation in invitations])
    return invitations


def neutralise(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text line by line, with a BOM first so that Excel reads UTF-8 (Korean names)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])
