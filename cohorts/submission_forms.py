"""Forms for pillar evidence and its review: they parse input; the services in
cohorts/submissions.py decide what is allowed."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courses.kaggle import Category

from .kaggle_routes import KaggleResult, validate_standing
from .models import Cohort
from .pillars import Pillar
from .submissions import accepted_certifications
from .validators import validate_http_url


class HttpURLField(forms.URLField):
    """A web address: http(s) only, with one clear message instead of Django's generic one."""

    default_validators = [validate_http_url]
    default_error_messages = {"invalid": validate_http_url.message}


def url_field(label, help_text=""):
    return HttpURLField(
        label=label, help_text=help_text, max_length=500, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )


def count_field(label, message, initial=None):
    return forms.IntegerField(
        label=label, min_value=1, initial=initial,
        error_messages={"min_value": message},
    )


class PillarForm(forms.Form):
    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort


class TheoryEvidenceForm(PillarForm):
    certificate_url = url_field(
        _("Coursera specialization certificate URL"),
        _("The shareable link Coursera gives for the whole specialization, e.g. https://www.coursera.org/account/accomplishments/specialization/..."),
    )


class CertificateForm(PillarForm):
    certification = forms.ModelChoiceField(
        label=_("Certificate"), queryset=None, empty_label=None
    )
    credential_id = forms.CharField(label=_("Credential ID"), max_length=200)
    credential_url = url_field(_("Credential URL"), _("A link where an organizer can check the credential."))
    passed_on = forms.DateField(
        label=_("Date passed"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("Note for the organizers"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, cohort=cohort, **kwargs)
        self.fields["certification"].queryset = accepted_certifications(cohort)


class KaggleForm(PillarForm):
    competition_url = url_field(_("Competition URL"), _("e.g. https://www.kaggle.com/competitions/..."))
    competition_title = forms.CharField(label=_("Competition title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    awards_medals = forms.BooleanField(
        label=_("This competition awards medals"), required=False, initial=True
    )
    team_name = forms.CharField(label=_("Team name"), max_length=200, required=False)
    team_size = count_field(_("Team size"), _("A team has at least 1 member."), initial=1)
    rank = count_field(_("Final private leaderboard rank"), _("The rank must be at least 1."))
    teams = count_field(_("Number of teams"), _("The number of teams must be at least 1."))
    evidence_url = url_field(
        _("Evidence URL"), _("A link to the leaderboard or a screenshot showing your final rank.")
    )

    def clean(self):
        data = super().clean()
        try:
            validate_standing(
                rank=data.get("rank"), teams=data.get("teams"), team_size=data.get("team_size")
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field not in self.errors:
                    self.add_error(field, messages)
        return data

    STANDING_FIELDS = ["category", "team_size", "rank", "teams"]

    def standing_errors(self) -> list[str]:
        """Errors in the fields a route check needs, for the preview next to the form."""
        return [e for name in self.STANDING_FIELDS for e in self.errors.get(name, [])]

    def result(self) -> KaggleResult | None:
        """The part of the input a route check needs, once that part is valid."""
        data = getattr(self, "cleaned_data", {})
        if any(name in self.errors or name not in data for name in self.STANDING_FIELDS):
            return None
        return KaggleResult(
            category=data["category"], team_size=data["team_size"], rank=data["rank"],
            teams=data["teams"], awards_medals=data.get("awards_medals", False),
        )


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


PILLAR_FORMS: dict[str, type[PillarForm]] = {
    Pillar.THEORY: TheoryEvidenceForm,
    Pillar.CERTIFICATE: CertificateForm,
    Pillar.KAGGLE: KaggleForm,
}
