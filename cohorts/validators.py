from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

validate_http_url = URLValidator(
    schemes=["http", "https"], message=_("Enter a web address starting with http:// or https://.")
)
