from django import forms
from django.utils.translation import gettext_lazy as _

from .validators import validate_http_url


class NoteForm(forms.Form):
    note_url = forms.URLField(
        label=_("Link to your notes or blog post"), required=False, max_length=500,
        assume_scheme="https", validators=[validate_http_url],
    )


class AnonymityForm(forms.Form):
    anonymous = forms.BooleanField(label=_("Appear anonymously on the leaderboard"), required=False)
