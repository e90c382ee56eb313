"""A participant's deadlines as an iCalendar feed; the feed's token is its only credential."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from .models import Membership, new_token


def calendar_feed(membership: Membership) -> bytes:
    """Every deadline of the cohort at the participant's own due moment (extensions included)."""
    cohort = membership.cohort
    extensions = dict(membership.extensions.values_list("deadline_id", "due_at"))
    dashboard = settings.SITE_URL + cohort.get_absolute_url()
    calendar = Calendar()
    calendar.add("prodid", "-//ML Bootcamp//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("%(cohort)s deadlines") % {"cohort": cohort.name})
    calendar.add("x-wr-timezone", cohort.time_zone)
    stamp = timezone.now()
    host = settings.SITE_URL.split("//")[-1]
    for deadline in cohort.deadlines.all():
        due = extensions.get(deadline.pk, deadline.due_at)
        event = Event()
        # Stable per deadline, so an extension or a moved date updates the same event.
        event.add("uid", f"deadline-{deadline.pk}-{membership.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", due)
        event.add("summary", deadline.title)
        description = _("Deadline: %(title)s. Your dashboard: %(url)s") % {
            "title": deadline.title, "url": dashboard,
        }
        if deadline.pk in extensions:
            description += "\n" + _("Extended for you.")
        event.add("description", description)
        event.add("url", dashboard)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", deadline.title)
        alarm.add("trigger", -timedelta(days=1))
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


@transaction.atomic
def regenerate_calendar_token(*, membership: Membership) -> str:
    """Revoke the feed's address: the old URL stops working at once."""
    membership.calendar_token = new_token()
    membership.save(update_fields=["calendar_token"])
    return membership.calendar_token
