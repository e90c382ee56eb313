"""Locust users for one scenario, described by the JSON plan in BENCH_PLAN (see bench/run.py).

A page scenario: every user signs in as its own member (a session made directly in the store)
and GETs the page in a loop. The rush: users take participants from one shared queue and POST
the ticks of each one's remaining weeks, as htmx does; a user stops when the queue is empty.
"""

import json
import os
from http.cookiejar import CookieJar, DefaultCookiePolicy
from itertools import count

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["BENCH_PLAN"]).read())
_user_numbers = count()
_rush_queue = iter(PLAN.get("rush", []))
_running = {"users": 0}


def _headers(member: dict | None) -> dict:
    headers = dict(PLAN["headers"])
    if member:
        headers["Cookie"] = member["cookie"]
        headers["X-CSRFToken"] = member["csrf"]
    return headers


class BenchUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        # Cookies come from the plan on every request; the server's own are ignored.
        self.client.cookiejar = CookieJar(DefaultCookiePolicy(allowed_domains=[]))
        members = PLAN.get("members") or [None]
        self.member = members[next(_user_numbers) % len(members)]
        self.headers = _headers(self.member)
        _running["users"] += 1

    def on_stop(self):
        _running["users"] -= 1

    def _check(self, response, expected=200):
        if response.status_code != expected:
            response.failure(f"HTTP {response.status_code}")
        else:
            response.success()

    def _page(self):
        with self.client.get(
            PLAN["path"], headers=self.headers, name=PLAN["name"], catch_response=True,
            allow_redirects=False,
        ) as response:
            self._check(response)

    def _rush(self):
        participant = next(_rush_queue, None)
        if participant is None:
            if _running["users"] <= 1:
                self.environment.runner.quit()
            raise StopUser()
        headers = _headers(participant)
        headers["HX-Request"] = "true"
        for path in participant["ticks"]:
            with self.client.post(
                path, headers=headers, name=PLAN["name"], catch_response=True,
                allow_redirects=False,
            ) as response:
                self._check(response)

    @task
    def scenario(self):
        if PLAN["kind"] == "rush":
            self._rush()
        else:
            self._page()


@events.quitting.add_listener
def _(environment, **kwargs):
    environment.process_exit_code = 0
