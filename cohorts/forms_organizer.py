"""Forms of the organizer console."""

from datetime import datetime, time

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.kaggle import Category
from courses.models import Certification

from .models import Cohort, Deadline, KaggleRoute
from .roster import MAX_BYTES


class LocalMomentMixin:
    """A date (and optional time) in the cohort's zone; a bare date means the end of that day."""

    def local_moment(self, cohort: Cohort, day_field: str, time_field: str) -> datetime:
        day = self.cleaned_data[day_field]
        at = self.cleaned_data.get(time_field)
        if at is None:
            return cohort.end_of_day(day)
        return datetime.combine(day, at, tzinfo=cohort.tz)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class EliminateForm(ReasonForm):
    deadline = forms.ModelChoiceField(
        label=_("Deadline missed"), queryset=Deadline.objects.none(), required=False,
        empty_label=_("(none: manual decision)"),
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        # Shares a page with the extension form: ids (and so labels) must not collide.
        super().__init__(*args, auto_id="eliminate_%s", **kwargs)
        self.fields["deadline"].queryset = cohort.deadlines.all()


class ExtensionForm(LocalMomentMixin, ReasonForm):
    deadline = forms.ModelChoiceField(label=_("Deadline"), queryset=Deadline.objects.none())
    due_on = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Time (optional)"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Without a time, the end of that day in the cohort's time zone."),
    )

    field_order = ["deadline", "due_on", "due_time", "reason"]

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, auto_id="extend_%s", **kwargs)
        self.cohort = cohort
        self.fields["deadline"].queryset = cohort.deadlines.all()

    @property
    def due_at(self) -> datetime:
        return self.local_moment(self.cohort, "due_on", "due_time")


class NudgeForm(forms.Form):
    message = forms.CharField(
        label=_("Message (optional)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        # The checkboxes of the table; the service keeps only the cohort's active participants.
        # isdecimal() alone lets "²" or "١" through; only ASCII digits are ids.
        data["members"] = [
            int(v) for v in self.data.getlist("members") if v.isascii() and v.isdecimal()
        ][:1000]
        if not data["members"]:
            raise forms.ValidationError(_("Select at least one participant."))
        return data


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("Columns: email, name, role, display_name (optional)."))

    def clean_file(self):
        """Refuse a big file by its size, before anything reads it into memory."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


class RosterConfirmForm(forms.Form):
    text = forms.CharField(widget=forms.HiddenInput, strip=False)


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Join code"), max_length=32)


class OffsetsField(forms.CharField):
    """Days before a deadline, typed as "7, 3, 1"."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        try:
            days = sorted({int(part) for part in value.replace(" ", "").split(",") if part}, reverse=True)
        except ValueError:
            raise forms.ValidationError(_("Enter whole numbers of days separated by commas, e.g. 7, 3, 1."))
        if any(d < 0 or d > 120 for d in days):
            raise forms.ValidationError(_("Each offset must be between 0 and 120 days."))
        return days


class CohortSettingsForm(forms.ModelForm):
    reminder_offsets = OffsetsField(label=_("Reminder offsets in days"), required=False)
    accepted_certifications = forms.ModelMultipleChoiceField(
        label=_("Accepted certificates"), queryset=Certification.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Cohort
        fields = ["prize_slots", "reminder_offsets", "reminder_hour", "grace_hours", "join_code", "accepted_certifications"]

    def clean_join_code(self):
        return self.cleaned_data["join_code"] or None


class DeadlineForm(LocalMomentMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Deadline.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    through_course = forms.IntegerField(
        label=_("All weeks of courses 1 to"), required=False, min_value=1,
        help_text=_("Theory checkpoints only."),
    )
    due_on = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Time (optional)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Without a time, the end of that day in the cohort's time zone."),
    )

    def __init__(self, *args, cohort: Cohort, deadline: Deadline | None = None, **kwargs):
        if deadline is not None and "initial" not in kwargs:
            local = deadline.due_at.astimezone(cohort.tz)
            kwargs["initial"] = {
                "kind": deadline.kind, "title": deadline.title,
                "through_course": deadline.through_course, "due_on": local.date(),
                "due_time": None if local.time() == time(23, 59, 59) else local.time(),
            }
        super().__init__(*args, **kwargs)
        self.cohort = cohort

    def clean(self):
        data = super().clean()
        if data.get("kind") == Deadline.Kind.THEORY and not data.get("through_course"):
            self.add_error("through_course", _("A theory checkpoint names the last course it covers."))
        return data

    def values(self) -> dict:
        return {
            "kind": self.cleaned_data["kind"],
            "title": self.cleaned_data["title"],
            "through_course": self.cleaned_data.get("through_course"),
            "due_at": self.local_moment(self.cohort, "due_on", "due_time"),
        }


class KaggleRouteForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Competition categories"), choices=Category.choices, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = KaggleRoute
        fields = ["name", "categories", "top_percent", "team_required", "max_team_size"]
