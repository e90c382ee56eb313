"""Every URL pattern of the project, read from the URLconf, and a real address for each.

A pattern's key is its namespaced name (`cohorts:tick`), or its route when it has no name.
"""

import re
from dataclasses import dataclass

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.account.forms import default_token_generator
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass(frozen=True)
class Pattern:
    key: str
    name: str | None  # namespaced, for reverse()
    route: str
    params: tuple[str, ...]
    callback: object

    @property
    def family(self) -> str:
        if self.route.startswith("admin/"):
            return "admin"
        if self.route.startswith("accounts/"):
            return "allauth"
        return "app"


def _params(route: str) -> tuple[str, ...]:
    """Parameter names of a path() route (`<int:pk>`) or a re_path() one (`(?P<key>...)`)."""
    return tuple(a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))


def url_patterns(resolver=None, prefix: str = "", namespace: str = "") -> list[Pattern]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += url_patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            found.append(Pattern(name or route, name, route, _params(route), entry.callback))
    return found


def _admin_object_id(pattern: Pattern, world) -> str:
    """The first row of the model an admin route edits (a membership for view_on_site)."""
    match = re.match(r"admin/(\w+)/(\w+)/", pattern.route)
    model = apps.get_model(*match.groups()) if match else type(world.mine.participant)
    obj = model._default_manager.order_by("pk").first()
    return str(obj.pk) if obj else "1"


def kwargs_for(pattern: Pattern, world, **overrides) -> dict:
    """Real ids of the cohort under test (`world.mine`) for each parameter of the pattern."""
    from .conftest import unsubscribe_token

    mine, user = world.mine, world.mine.participant.user
    plain = {
        "slug": mine.cohort.slug, "week_id": world.week.pk, "membership_id": mine.target.pk,
        "deadline_id": mine.deadline.pk, "route_id": mine.route.pk, "pk": mine.submission.pk,
        "pillar": "certificate", "decision": "approve", "app_label": "cohorts",
        "id": user.pk, "url": "no-such-page/",  # `url`: the admin's catch-all
        **overrides,
    }
    values = {}
    for param in pattern.params:
        if param in plain:
            values[param] = plain[param]
        elif param == "token":
            values[param] = (
                mine.invitation.token if pattern.key == "cohorts:invitation"
                else unsubscribe_token(world)
            )
        elif param == "key" and pattern.key == "account_confirm_email":
            address = EmailAddress.objects.filter(user=user, verified=False).first()
            values[param] = EmailConfirmationHMAC(address).key
        elif param == "key":
            values[param] = default_token_generator.make_token(user)
        elif param == "uidb36":
            values[param] = user_pk_to_url_str(user)
        elif param == "object_id":
            values[param] = _admin_object_id(pattern, world)
        elif param == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            values[param] = ContentType.objects.get_for_model(type(mine.participant)).pk
        else:
            raise AssertionError(f"No value for <{param}> of {pattern.key}: add one to kwargs_for.")
    return values


QUERIES = {"cohorts:calendar": lambda world: f"?token={world.mine.participant.calendar_token}"}


def url_for(pattern: Pattern, world, **overrides) -> str:
    if pattern.name is None:
        values = kwargs_for(pattern, world, **overrides)
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern.route).replace("^", "").replace("$", "")
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    url = reverse(pattern.name, kwargs=kwargs_for(pattern, world, **overrides))
    query = QUERIES.get(pattern.key)
    return url + (query(world) if query else "")
