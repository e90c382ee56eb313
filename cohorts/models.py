import secrets
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.kaggle import Category, Medal
from courses.models import Certification, Specialization, Week

from .validators import validate_http_url


def new_token() -> str:
    return secrets.token_urlsafe(24)


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(zone)s is not a known time zone."), params={"zone": value})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, identified by email; what they do in a cohort lives on Membership."""

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    email_reminders = models.BooleanField(_("deadline reminders by email"), default=True)
    email_digest = models.BooleanField(_("daily organizer digest by email"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email.split("@")[0]


class Cohort(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    specialization = models.ForeignKey(
        Specialization, on_delete=models.PROTECT, related_name="cohorts"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Seoul", validators=[validate_time_zone]
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    prize_slots = models.PositiveSmallIntegerField(_("prize slots"), default=20)
    reminder_offsets = models.JSONField(
        _("reminder offsets in days"), default=list, blank=True,
        help_text=_("Days before each deadline on which reminders are sent, e.g. [7, 3, 1]."),
    )
    reminder_hour = models.PositiveSmallIntegerField(_("reminder hour (local)"), default=9)
    grace_hours = models.PositiveSmallIntegerField(_("grace period in hours"), default=0)
    join_code = models.CharField(_("join code"), max_length=32, unique=True, null=True, blank=True)
    accepted_certifications = models.ManyToManyField(
        Certification, blank=True, related_name="cohorts", verbose_name=_("accepted certificates")
    )
    # Finish events are numbered under a lock on this row, so the order is the commit order.
    finish_counter = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="cohort_dates"),
            models.CheckConstraint(condition=Q(reminder_hour__lte=23), name="cohort_reminder_hour"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cohorts:dashboard", kwargs={"slug": self.slug})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.starts_on, time.min, tzinfo=self.tz)

    def end_of_day(self, day: date) -> datetime:
        """A deadline given as a date means the end of that day in the cohort's zone."""
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.tz)


class Deadline(models.Model):
    class Kind(models.TextChoices):
        THEORY = "theory", _("Theory checkpoint")
        CERTIFICATE = "certificate", _("Certificate")
        KAGGLE = "kaggle", _("Kaggle")
        GRADUATION = "graduation", _("Graduation")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    through_course = models.PositiveSmallIntegerField(
        _("all weeks of courses 1 to"), null=True, blank=True
    )
    due_at = models.DateTimeField(_("due at"))

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="theory", through_course__gte=1)
                | (~Q(kind="theory") & Q(through_course__isnull=True)),
                name="deadline_theory_has_course",
            )
        ]
        indexes = [models.Index(fields=["cohort", "due_at"])]

    def __str__(self):
        return self.title


class MembershipQuerySet(models.QuerySet):
    def participants(self):
        return self.filter(role=Membership.Role.PARTICIPANT)

    def organizers(self):
        return self.filter(role=Membership.Role.ORGANIZER)

    def active(self):
        return self.filter(status=Membership.Status.ACTIVE)

    def finishers(self):
        """Theory finishers whose finish stands, in finish order."""
        return (
            self.participants()
            .filter(finish_seq__isnull=False)
            .exclude(theory_state=Membership.PillarState.REJECTED)
            .order_by("finish_seq")
        )


class Membership(models.Model):
    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("Participant")
        ORGANIZER = "organizer", _("Organizer")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ELIMINATED = "eliminated", _("Eliminated")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        GRADUATED = "graduated", _("Graduated")

    class PillarState(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    display_name = models.CharField(_("display name"), max_length=80)
    anonymous = models.BooleanField(_("appear anonymously on the leaderboard"), default=False)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    # Progress, written only by the services in cohorts/progress.py and cohorts/submissions.py.
    weeks_done = models.PositiveSmallIntegerField(_("weeks done"), default=0, editable=False)
    weeks_done_at = models.DateTimeField(_("reached that count at"), null=True, editable=False)
    theory_completed_at = models.DateTimeField(_("theory completed at"), null=True, editable=False)
    finish_seq = models.PositiveIntegerField(null=True, editable=False)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, editable=False)
    theory_state = models.CharField(
        _("theory evidence"), max_length=20, choices=PillarState.choices,
        default=PillarState.NOT_STARTED, editable=False,
    )
    certificate_state = models.CharField(
        _("certificate"), max_length=20, choices=PillarState.choices,
        default=PillarState.NOT_STARTED, editable=False,
    )
    kaggle_state = models.CharField(
        _("Kaggle"), max_length=20, choices=PillarState.choices,
        default=PillarState.NOT_STARTED, editable=False,
    )
    status_reason = models.TextField(_("reason for the status"), blank=True, editable=False)
    status_changed_at = models.DateTimeField(null=True, editable=False)
    graduated_at = models.DateTimeField(_("graduated at"), null=True, editable=False)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["cohort", "finish_seq"], name="membership_finish_seq_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "role", "finish_seq"], name="membership_finish_idx"),
            models.Index(
                "cohort", "role", models.F("weeks_done").desc(), "weeks_done_at", "id",
                name="membership_progress_idx",
            ),
            models.Index(fields=["cohort", "role", "status"], name="membership_status_idx"),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.cohort.slug})"

    @property
    def is_participant(self) -> bool:
        return self.role == self.Role.PARTICIPANT

    @property
    def is_organizer(self) -> bool:
        return self.role == self.Role.ORGANIZER

    @property
    def can_progress(self) -> bool:
        return self.is_participant and self.status in {self.Status.ACTIVE, self.Status.GRADUATED}

    @property
    def public_name(self) -> str:
        return str(_("Anonymous participant")) if self.anonymous else self.display_name


class WeekCompletion(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="completions")
    week = models.ForeignKey(Week, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField(_("completed at"))
    note_url = models.URLField(_("notes or blog post"), max_length=500, validators=[validate_http_url], blank=True)

    class Meta:
        verbose_name = _("week completion")
        verbose_name_plural = _("week completions")
        constraints = [
            models.UniqueConstraint(fields=["membership", "week"], name="completion_unique")
        ]
        indexes = [models.Index(fields=["membership", "completed_at"])]

    def __str__(self):
        return f"{self.membership} {self.week}"


class DeadlineExtension(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="extensions")
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="extensions")
    due_at = models.DateTimeField(_("extended to"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        constraints = [
            models.UniqueConstraint(fields=["membership", "deadline"], name="extension_unique")
        ]


class KaggleRoute(models.Model):
    """One way a cohort accepts a Kaggle result, e.g. "Featured, top 40%"."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="kaggle_routes")
    name = models.CharField(_("name"), max_length=200)
    categories = models.JSONField(_("competition categories"), default=list)
    top_percent = models.PositiveSmallIntegerField(_("top percent"))
    team_required = models.BooleanField(_("team required"), default=False)
    max_team_size = models.PositiveSmallIntegerField(_("maximum team size"), null=True, blank=True)

    class Meta:
        ordering = ["cohort", "pk"]
        verbose_name = _("Kaggle route")
        verbose_name_plural = _("Kaggle routes")
        constraints = [
            models.CheckConstraint(
                condition=Q(top_percent__gte=1, top_percent__lte=100), name="route_top_percent"
            )
        ]

    def __str__(self):
        return self.name


class SubmissionQuerySet(models.QuerySet):
    def in_cohort(self, cohort):
        return self.filter(membership__cohort=cohort)

    def pending(self):
        return self.filter(status=Submission.Status.SUBMITTED)

    def for_review(self):
        """What a row of the verification queue shows, without a query per row."""
        return self.select_related("membership__user", "reviewed_by")


class Submission(models.Model):
    """Evidence for a pillar, verified by an organizer. History is kept: one open at a time."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="%(class)ss")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.TextField(_("reason"), blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"], condition=Q(status="submitted"), name="%(class)s_one_open"
            )
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]


class TheorySubmission(Submission):
    certificate_url = models.URLField(_("Coursera specialization certificate URL"), max_length=500, validators=[validate_http_url])

    class Meta(Submission.Meta):
        verbose_name = _("theory evidence")
        verbose_name_plural = _("theory evidence")


class CertificateSubmission(Submission):
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, related_name="+")
    credential_id = models.CharField(_("credential ID"), max_length=200)
    credential_url = models.URLField(_("credential URL"), max_length=500, validators=[validate_http_url])
    passed_on = models.DateField(_("date passed"))
    note = models.TextField(_("note"), blank=True)

    class Meta(Submission.Meta):
        verbose_name = _("certificate submission")
        verbose_name_plural = _("certificate submissions")


class KaggleSubmission(Submission):
    competition_url = models.URLField(_("competition URL"), max_length=500, validators=[validate_http_url])
    competition_title = models.CharField(_("competition title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    awards_medals = models.BooleanField(_("awards medals"), default=True)
    team_name = models.CharField(_("team name"), max_length=200, blank=True)
    team_size = models.PositiveSmallIntegerField(_("team size"), default=1)
    rank = models.PositiveIntegerField(_("final private leaderboard rank"))
    teams = models.PositiveIntegerField(_("number of teams"))
    evidence_url = models.URLField(_("evidence URL"), max_length=500, validators=[validate_http_url])
    percentile = models.DecimalField(_("percentile"), max_digits=6, decimal_places=2)
    medal = models.CharField(_("medal"), max_length=10, choices=Medal.choices, blank=True)
    route = models.ForeignKey(
        KaggleRoute, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("qualifying route"),
    )

    class Meta(Submission.Meta):
        verbose_name = _("Kaggle submission")
        verbose_name_plural = _("Kaggle submissions")
        constraints = [
            *Submission.Meta.constraints,
            models.CheckConstraint(
                condition=Q(rank__gte=1, teams__gte=1, rank__lte=models.F("teams"), team_size__gte=1),
                name="kaggle_rank_within_teams",
            ),
        ]


class AuditEvent(models.Model):
    """Who did what to whom, when and why: every organizer decision and status change."""

    class Action(models.TextChoices):
        ELIMINATED = "eliminated", _("Eliminated")
        REINSTATED = "reinstated", _("Reinstated")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        GRADUATED = "graduated", _("Graduated")
        GRADUATION_REVOKED = "graduation_revoked", _("Graduation revoked")
        EXTENDED = "extended", _("Deadline extended")
        APPROVED = "approved", _("Submission approved")
        REJECTED = "rejected", _("Submission rejected")
        NUDGED = "nudged", _("Reminder sent")
        ROSTER_IMPORTED = "roster_imported", _("Roster imported")
        SETTINGS_CHANGED = "settings_changed", _("Settings changed")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="audit_events")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["membership", "created_at"]),
            models.Index(fields=["cohort", "created_at"]),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """One email we owe someone. The unique key makes sending it twice impossible."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Deadline reminder")
        NUDGE = "nudge", _("Reminder from an organizer")
        ELIMINATION = "elimination", _("Elimination notice")
        DIGEST = "digest", _("Organizer digest")
        APPROVED = "approved", _("Submission approved")
        REJECTED = "rejected", _("Submission rejected")
        INVITATION = "invitation", _("Invitation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, null=True, related_name="notifications")
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["cohort", "status"])]

    def __str__(self):
        return self.key


class Invitation(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "email"], name="invitation_unique")
        ]

    def __str__(self):
        return self.email
