import html
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.leaderboard import board_stats, build_board, build_comparison
from cohorts.models import KaggleSubmission, Membership, User
from cohorts.privacy import set_leaderboard_anonymity
from cohorts.progress import record_history, tick_week, untick_week
from courses.kaggle import Category, Medal
from tests.factories import CohortFactory, MembershipFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=dt_timezone.utc)


def board_for(viewer, page=1):
    viewer = Membership.objects.select_related("cohort").get(pk=viewer.pk)
    cohort = viewer.cohort
    stats = board_stats(cohort=cohort, viewer=viewer)
    return build_board(cohort=cohort, viewer=viewer, stats=stats, page=page)


def finish(membership, weeks, at):
    """All weeks done, the last one at `at`."""
    ticks = [(week, at - timedelta(hours=len(weeks) - i)) for i, week in enumerate(weeks, start=1)]
    record_history(membership=membership, ticks=ticks)


def progress(membership, weeks, count, at):
    record_history(membership=membership, ticks=[(week, at) for week in weeks[:count]])


def names(rows):
    return [row.name for row in rows]


def page_rows(body):
    """(rank, name) of each row of the first board table on a page."""
    table = body.split('<table class="board-table">', 2)[1]
    cells = re.findall(r'<td class="num rank">(.*?)</td>\s*<td class="name">\s*([^<]*?)\s*(?:<|$)', table, re.S)
    return [(re.sub(r"<[^>]+>", "", rank).strip(), html.unescape(name)) for rank, name in cells]


def url(name, cohort):
    return reverse(f"cohorts:{name}", args=[cohort.slug])


class TestOrder:
    def test_finishers_rank_by_finish_then_everyone_by_weeks_then_by_when(self, cohort, weeks, participant):
        late, early = MembershipFactory(cohort=cohort, display_name="Late"), MembershipFactory(cohort=cohort, display_name="Early")
        finish(early, weeks, T0)
        finish(late, weeks, T0 + timedelta(hours=1))
        ten_first = MembershipFactory(cohort=cohort, display_name="Ten first")
        ten_second = MembershipFactory(cohort=cohort, display_name="Ten second")
        twelve = MembershipFactory(cohort=cohort, display_name="Twelve")
        progress(ten_second, weeks, 10, T0 + timedelta(days=2))
        progress(ten_first, weeks, 10, T0 + timedelta(days=1))
        progress(twelve, weeks, 12, T0 + timedelta(days=5))
        tie_a, tie_b = (MembershipFactory(cohort=cohort, display_name=n) for n in ("Tie A", "Tie B"))
        progress(tie_b, weeks, 3, T0)
        progress(tie_a, weeks, 3, T0)

        board = board_for(participant)

        assert names(board.rows) == [
            "Early", "Late", "Twelve", "Ten first", "Ten second", "Tie A", "Tie B", participant.display_name,
        ]
        assert [row.rank for row in board.rows] == [1, 2, 3, 4, 5, 6, 7, 8]
        assert (board.you_rank, board.ranked) == (8, 8)
        assert [row.days_taken for row in board.rows[:2]] == [
            (T0.astimezone(cohort.tz).date() - cohort.starts_on).days
        ] * 2

    def test_exactly_prize_slots_prizes_and_the_slots_left(self, cohort, weeks, participant):
        cohort.prize_slots = 2
        cohort.save()
        racers = [MembershipFactory(cohort=cohort) for _ in range(3)]
        for i, racer in enumerate(racers):
            finish(racer, weeks, T0 + timedelta(minutes=i))
        board = board_for(participant)
        assert [row.prize for row in board.rows] == [True, True, False, False]
        assert board.prize_slots_left == 0
        assert board_for(racers[1]).you_win_a_prize and not board_for(racers[2]).you_win_a_prize

    def test_unticking_moves_everyone_behind_up_and_a_new_finish_goes_last(self, cohort, weeks, participant):
        first, second, third = (MembershipFactory(cohort=cohort, display_name=n) for n in ("A", "B", "C"))
        for i, racer in enumerate((first, second, third)):
            finish(racer, weeks, T0 + timedelta(minutes=i))
        untick_week(membership=first, week=weeks[5])
        board = board_for(participant)
        assert [(row.rank, row.name) for row in board.rows[:3]] == [(1, "B"), (2, "C"), (3, "A")]
        assert board.rows[2].section_key == "in_progress"
        tick_week(membership=first, week=weeks[5])
        assert [(row.rank, row.name) for row in board_for(participant).rows[:3]] == [(1, "B"), (2, "C"), (3, "A")]
        assert board_for(participant).rows[2].section_key == "finished"

    def test_a_rejected_finish_moves_everyone_behind_up_and_only_organizers_see_it(
        self, cohort, weeks, participant, organizer
    ):
        first, second = (MembershipFactory(cohort=cohort, display_name=n) for n in ("A", "B"))
        finish(first, weeks, T0)
        finish(second, weeks, T0 + timedelta(hours=1))
        Membership.objects.filter(pk=first.pk).update(theory_state=Membership.PillarState.REJECTED)

        board = board_for(participant)
        assert [(row.rank, row.name, row.prize) for row in board.rows][:1] == [(1, "B", True)]
        assert "A" not in names(board.rows)
        assert board_for(first).you_rank is None and board_for(first).you_section == "rejected"

        organizer_rows = board_for(organizer).rows
        assert [(row.section_key, row.rank, row.real_name) for row in organizer_rows[:2]] == [
            ("finished", 1, "B"), ("rejected", None, "A"),
        ]

    def test_eliminated_come_after_everyone_in_the_race_and_withdrawn_only_for_organizers(
        self, cohort, weeks, participant, organizer
    ):
        from cohorts.status import eliminate

        out = MembershipFactory(cohort=cohort, display_name="Out")
        progress(out, weeks, 9, T0)
        eliminate(membership=out, reason="Missed Mission 2")
        gone = MembershipFactory(cohort=cohort, display_name="Gone", status=Membership.Status.WITHDRAWN)
        progress(participant, weeks, 1, T0)

        rows = board_for(participant).rows
        assert [(row.name, row.rank, row.section_key) for row in rows] == [
            (participant.display_name, 1, "in_progress"), ("Out", None, "eliminated"),
        ]
        organizer_rows = board_for(organizer).rows
        assert [row.real_name for row in organizer_rows] == [participant.display_name, "Out", "Gone"]
        assert gone.pk and organizer_rows[-1].section_key == "withdrawn"

    def test_a_withdrawn_finisher_keeps_the_position_but_not_the_name(self, cohort, weeks, participant):
        racer = MembershipFactory(cohort=cohort, display_name="Left early")
        finish(racer, weeks, T0)
        Membership.objects.filter(pk=racer.pk).update(status=Membership.Status.WITHDRAWN)
        row = board_for(participant).rows[0]
        assert (row.rank, row.name) == (1, "Withdrawn participant")


class TestAnonymity:
    def test_anonymous_participants_are_anonymous_on_the_page_and_in_json(
        self, participant_client, cohort, participant, organizer, client
    ):
        hidden = MembershipFactory(cohort=cohort, display_name="Secret Name")
        set_leaderboard_anonymity(membership=hidden, anonymous=True)
        page = participant_client.get(url("leaderboard", cohort)).content.decode()
        data = participant_client.get(url("leaderboard-json", cohort)).json()
        assert "Secret Name" not in page and "Secret Name" not in str(data)
        assert "Anonymous participant" in page
        assert "Anonymous participant" in [row["name"] for row in data["rows"]]
        client.force_login(organizer.user)
        assert "Secret Name" in client.get(url("leaderboard", cohort)).content.decode()

    def test_a_participant_switches_anonymity_from_the_leaderboard(self, participant_client, cohort, participant):
        response = participant_client.post(url("leaderboard-anonymity", cohort), {"anonymous": "on"})
        assert response.status_code == 302
        assert Membership.objects.get(pk=participant.pk).anonymous
        participant_client.post(url("leaderboard-anonymity", cohort), {})
        assert not Membership.objects.get(pk=participant.pk).anonymous

    def test_organizers_have_no_row_to_hide(self, organizer):
        with pytest.raises(ValidationError):
            set_leaderboard_anonymity(membership=organizer, anonymous=True)


class TestPages:
    def test_the_json_matches_the_page(self, participant_client, cohort, weeks, participant):
        anonymous = MembershipFactory(cohort=cohort, anonymous=True)
        finish(anonymous, weeks, T0)
        for i in range(4):
            progress(MembershipFactory(cohort=cohort), weeks, i + 2, T0 + timedelta(hours=i))
        progress(participant, weeks, 2, T0)
        body = participant_client.get(url("leaderboard", cohort)).content.decode()
        data = participant_client.get(url("leaderboard-json", cohort)).json()
        assert page_rows(body) == [
            (f"#{row['rank']}" if row["rank"] else "–", row["name"]) for row in data["rows"]
        ]
        assert len(data["rows"]) == 6
        assert data["summary"]["you"] == {"rank": 5, "of": 6}
        assert "You are #5 of 6" in body

    def test_no_emails_or_ids_leave_the_server(self, participant_client, cohort, weeks, participant):
        finish(participant, weeks, T0)
        body = participant_client.get(url("leaderboard", cohort)).content.decode()
        raw = participant_client.get(url("leaderboard-json", cohort)).content.decode()
        assert "@example.com" not in body and "@example.com" not in raw
        assert '"id"' not in raw and "user" not in raw

    def test_outsiders_get_404_for_the_page_and_the_json(self, client, cohort, participant):
        outsider = MembershipFactory(cohort=CohortFactory())
        client.force_login(outsider.user)
        assert client.get(url("leaderboard", cohort)).status_code == 404
        assert client.get(url("leaderboard-json", cohort)).status_code == 404

    def test_the_poll_swaps_nothing_until_the_board_changes(self, participant_client, cohort, weeks, participant):
        board = participant_client.get(url("leaderboard", cohort), HTTP_HX_REQUEST="true")
        assert board.status_code == 200 and 'aria-live' not in board.content.decode()
        version = re.search(r'name="v" value="(\w+)"', board.content.decode()).group(1)
        same = participant_client.get(url("leaderboard", cohort), {"v": version}, HTTP_HX_REQUEST="true")
        assert same.status_code == 204
        tick_week(membership=participant, week=weeks[0])
        changed = participant_client.get(url("leaderboard", cohort), {"v": version}, HTTP_HX_REQUEST="true")
        assert changed.status_code == 200 and "<html" not in changed.content.decode()

    def test_the_json_answers_304_while_nothing_changed(self, participant_client, cohort, weeks, participant):
        first = participant_client.get(url("leaderboard-json", cohort))
        again = participant_client.get(url("leaderboard-json", cohort), HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        set_leaderboard_anonymity(membership=participant, anonymous=True)
        assert participant_client.get(
            url("leaderboard-json", cohort), HTTP_IF_NONE_MATCH=first["ETag"]
        ).status_code == 200

    def test_the_page_polls_a_live_region(self, participant_client, cohort):
        body = participant_client.get(url("leaderboard", cohort)).content.decode()
        assert 'aria-live="polite"' in body and 'hx-trigger="every 5s"' in body
        assert "<script>" not in body and "hx-on" not in body


def crowd(cohort, n, *, finishers=0):
    """n participants with counters set directly: finishers first, then a spread of progress."""
    users = User.objects.bulk_create(
        [User(email=f"c{cohort.pk}-{i}@example.com", password="!") for i in range(n)]
    )
    members = []
    for i, user in enumerate(users):
        finished = i < finishers
        members.append(
            Membership(
                user=user, cohort=cohort, display_name=f"Runner {i:04d}",
                weeks_done=17 if finished else 16 - i % 16,
                weeks_done_at=T0 + timedelta(minutes=i),
                finish_seq=i + 1 if finished else None,
                theory_completed_at=T0 + timedelta(minutes=i) if finished else None,
                status=Membership.Status.ELIMINATED if i % 10 == 9 and not finished else Membership.Status.ACTIVE,
            )
        )
    Membership.objects.bulk_create(members)
    cohort.finish_counter = finishers
    cohort.save(update_fields=["finish_counter"])


class TestScale:
    @pytest.mark.parametrize("size", [10, 500])
    def test_the_page_costs_the_same_queries_whatever_the_size(
        self, size, client, cohort, weeks, django_assert_num_queries
    ):
        crowd(cohort, size, finishers=3)
        # The last of the race: on the first page of 10, far below it among 500.
        viewer = (
            Membership.objects.filter(cohort=cohort, finish_seq=None, status=Membership.Status.ACTIVE)
            .order_by("weeks_done", "-weeks_done_at", "-id").first()
        )
        client.force_login(viewer.user)
        # 3 to find who asks (session, user, membership with its cohort), 1 aggregate, 1 for the
        # rows, 8 for the charts and pillar boards.
        with django_assert_num_queries(13):
            response = client.get(url("leaderboard", cohort))
        assert response.status_code == 200
        # Then the aggregate, the viewer's rows and the cohort's charts are cached until the
        # cohort changes: the fragment and the poll read nothing more, the JSON the viewer's pace.
        with django_assert_num_queries(3):
            client.get(url("leaderboard", cohort), HTTP_HX_REQUEST="true")
        with django_assert_num_queries(3):
            client.get(url("leaderboard", cohort), {"v": response.context["board"].version}, HTTP_HX_REQUEST="true")
        with django_assert_num_queries(4):
            client.get(url("leaderboard-json", cohort))
        if size == 500:
            assert response.context["board"].around_you

    def test_a_big_board_shows_the_top_and_the_viewers_neighbourhood(self, cohort, weeks):
        crowd(cohort, 500, finishers=25)
        everyone = list(
            Membership.objects.filter(cohort=cohort).exclude(status=Membership.Status.ELIMINATED)
            .order_by("finish_seq", "-weeks_done", "weeks_done_at", "id")
        )
        ranked = [m for m in everyone if m.finish_seq] + [m for m in everyone if not m.finish_seq]
        viewer = ranked[299]
        board = board_for(viewer)
        assert board.you_rank == 300 and board.ranked == len(ranked)
        assert len(board.rows) == cohort.prize_slots + 30
        assert [row.name for row in board.rows] == [m.display_name for m in ranked[:50]]
        assert [row.rank for row in board.around_you] == list(range(295, 306))
        assert [row.name for row in board.around_you] == [m.display_name for m in ranked[294:305]]
        assert [row.is_you for row in board.around_you].index(True) == 5
        your_page = board_for(viewer, page=board.you_page)
        assert any(row.is_you for row in your_page.rows) and not your_page.around_you


class TestCompare:
    def test_burnup_counts_per_day_in_the_cohort_zone(self, cohort, weeks, participant):
        cohort.starts_on = datetime(2026, 3, 1).date()
        cohort.save()
        # 23:30 UTC on March 2 is already March 3 in Seoul.
        progress(participant, weeks, 2, datetime(2026, 3, 2, 23, 30, tzinfo=dt_timezone.utc))
        racer = MembershipFactory(cohort=cohort)
        finish(racer, weeks, datetime(2026, 3, 4, 1, 0, tzinfo=dt_timezone.utc))
        with time_machine.travel(datetime(2026, 3, 5, 3, 0, tzinfo=dt_timezone.utc)):
            compare = build_comparison(cohort=cohort, viewer=participant)
        by_day = {d.day.isoformat(): (d.weeks, d.finishers) for d in compare.burnup}
        assert by_day == {
            "2026-03-01": (0, 0), "2026-03-02": (0, 0), "2026-03-03": (2 + 6, 0),
            "2026-03-04": (19, 1), "2026-03-05": (19, 1),
        }
        assert compare.burnup[-1].finishers_percent == 50.0

    def test_distribution_and_pace_against_the_median(self, cohort, weeks, participant):
        now = timezone.now()
        for count in (1, 2, 2, 4):
            progress(MembershipFactory(cohort=cohort), weeks, count, now - timedelta(days=1))
        progress(participant, weeks, 5, now - timedelta(days=30))
        compare = build_comparison(cohort=cohort, viewer=Membership.objects.get(pk=participant.pk))
        assert compare.distribution[:6] == [(0, 0), (1, 1), (2, 2), (3, 0), (4, 1), (5, 1)]
        assert (compare.your_pace, compare.median_pace) == (0, 2.0)

    def test_kaggle_results_and_graduation_order(self, cohort, participant, participant_client):
        other = MembershipFactory(cohort=cohort, display_name="Kaggler", anonymous=True)
        common = dict(
            competition_url="https://www.kaggle.com/c/x", competition_title="Titanic",
            category=Category.FEATURED, evidence_url="https://www.kaggle.com/x", teams=1000,
        )
        KaggleSubmission.objects.create(membership=participant, rank=300, percentile=30, **common)
        KaggleSubmission.objects.create(
            membership=other, rank=40, percentile=4, medal=Medal.SILVER,
            status=KaggleSubmission.Status.APPROVED, **common,
        )
        KaggleSubmission.objects.create(
            membership=other, rank=900, percentile=90, status=KaggleSubmission.Status.REJECTED, **common,
        )
        at = timezone.now()
        Membership.objects.filter(pk=other.pk).update(status=Membership.Status.GRADUATED, graduated_at=at)
        compare = build_comparison(cohort=cohort, viewer=participant)
        assert [(k.name, k.percentile, k.medal, k.state, k.is_you) for k in compare.kaggle] == [
            ("Anonymous participant", 4.0, "silver", "approved", False),
            (participant.display_name, 30.0, "", "submitted", True),
        ]
        assert [(g.position, g.name) for g in compare.graduates] == [(1, "Anonymous participant")]
        body = participant_client.get(url("leaderboard", cohort)).content.decode()
        assert "Titanic" in body and "Kaggler" not in body
