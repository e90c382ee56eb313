"""Profile one benchmark page in-process: pyinstrument around Django's test client.

    python -m bench.profile --size 10000 dashboard            # text profile of one request
    python -m bench.profile --size 10000 organize --repeat 5 --html /tmp/organize.html
    python -m bench.profile --size 1000 tick --sql            # also print the queries

Runs against the benchmark database bench_<n> (built by `python -m bench.build`) with the same
production settings as gunicorn. A tick is rolled back afterwards, so the cohort is unchanged.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from . import config

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "dashboard": ("dashboard", {}, ""),
    "leaderboard": ("leaderboard", {}, ""),
    "leaderboard_json": ("leaderboard_json", {}, ""),
    "organize": ("organize", {}, config.ORGANIZE_QUERY),
    "csv": ("participants_csv", {}, ""),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", choices=[*PAGES, "tick"])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="requests; the last is profiled")
    parser.add_argument("--html", type=Path, help="write pyinstrument's HTML report here")
    parser.add_argument("--sql", action="store_true", help="print the queries of the last request")
    parser.add_argument("--quiet", action="store_true", help="timings only, no profile")
    args = parser.parse_args()
    os.environ.update(config.server_env(args.size), DJANGO_DB_POOL="0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from cohorts.models import Membership

    from .run import SizeRun

    run = SizeRun(args.size, Path("/tmp"))
    from django.conf import settings

    run.settings = settings
    run.prepare_members()
    try:
        if args.page == "tick":
            from courses.models import Week

            membership = (
                Membership.objects.filter(cohort__slug=run.slug).participants().active()
                .filter(weeks_done__lt=17).order_by("-weeks_done", "id").first()
            )
            done = set(membership.completions.values_list("week_id", flat=True))
            week = next(
                w for w in Week.objects.of(membership.cohort.specialization_id)
                .order_by("course__number", "number") if w.pk not in done
            )
            member = run.member(membership.user)
            path, post = run.url("tick", week_id=week.pk), True
        else:
            key, kwargs, query = PAGES[args.page]
            organizer = key in {"organize", "participants_csv"}
            member = run.organizers[0] if organizer else run.participants[0]
            path, post = run.url(key, **kwargs) + query, False
        client = run.client(member)

        def request():
            with transaction.atomic():
                response = run.send(client, path, member, post=post)
                if response.streaming:
                    b"".join(response.streaming_content)
                transaction.set_rollback(True)
            return response

        timings, cpu = [], []
        for _ in range(max(args.repeat - 1, 0)):
            started, cpu_started = time.perf_counter(), time.process_time()
            request()
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        profiler = Profiler(interval=0.0005)
        with CaptureQueriesContext(connection) as queries:
            profiler.start()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = request()
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            profiler.stop()
        # CPU time of this process (Python and the driver, not PostgreSQL): what other loads on
        # the machine disturb least. The last request ran under the profiler.
        print(f"{args.page} {path}: HTTP {response.status_code}, {len(queries)} queries, "
              f"wall ms {[round(1000 * t, 1) for t in timings]}, "
              f"CPU ms {[round(1000 * t, 1) for t in cpu]}")
        if args.sql:
            for q in queries.captured_queries:
                print(f"  [{q['time']}s] {q['sql'][:400]}")
        if args.quiet:
            pass
        elif args.html:
            args.html.write_text(profiler.output_html())
            print(f"wrote {args.html}")
        else:
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    finally:
        run.drop_sessions()


if __name__ == "__main__":
    main()
