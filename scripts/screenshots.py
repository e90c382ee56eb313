"""The README's screenshots, made from the demo: `make screenshots` writes docs/screenshots/*.png.

A throwaway SQLite database gets the curriculum and the demo, a development server serves it on a
free port in 8100-8199, and Debian's Chromium (through Playwright) visits the main pages as the
demo participant and organizer, in English, in Korean and at 360 px wide.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
DEMO = "/c/ml-bootcamp-demo"
PASSWORD = "bootcamp-demo"
DESKTOP = {"width": 1280, "height": 860}
MOBILE = {"width": 360, "height": 780}


def free_port() -> int:
    for port in range(8100, 8200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit("No free port in 8100-8199")


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("The development server stopped; see the output above.")
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The development server did not answer at {url}")


def sign_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(f"{url}{DEMO}/")
    page.goto(f"{url}{DEMO}/")  # once more, without the "signed in" message


def shoot(page, name: str, **options) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=OUT / f"{name}.png", **options)
    print(f"docs/screenshots/{name}.png")


def capture(url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        zone = {"timezone_id": "Asia/Seoul"}

        anonymous = browser.new_context(viewport=DESKTOP, locale="en-US", **zone).new_page()
        anonymous.goto(f"{url}/accounts/login/")
        shoot(anonymous, "sign-in")

        participant = browser.new_context(viewport=DESKTOP, locale="en-US", **zone).new_page()
        sign_in(participant, url, "participant@example.com")
        shoot(participant, "dashboard")
        participant.goto(f"{url}{DEMO}/leaderboard/")
        shoot(participant, "leaderboard")

        organizer = browser.new_context(viewport=DESKTOP, locale="en-US", **zone).new_page()
        sign_in(organizer, url, "organizer@example.com")
        organizer.goto(f"{url}{DEMO}/organize/")
        shoot(organizer, "organizer-console")
        organizer.goto(f"{url}{DEMO}/organize/verify/")
        shoot(organizer, "verify-queue")

        # Before the switch to Korean below, which the participant's account remembers.
        mobile = browser.new_context(viewport=MOBILE, locale="en-US", device_scale_factor=2, **zone)
        phone = mobile.new_page()
        sign_in(phone, url, "participant@example.com")
        shoot(phone, "mobile-dashboard")
        phone.goto(f"{url}{DEMO}/leaderboard/")
        shoot(phone, "mobile-leaderboard")

        # Korean through the language switcher, as a person would do it (and it is remembered).
        participant.get_by_label("Language").select_option("ko")
        participant.get_by_role("button", name="Switch").click()
        participant.goto(f"{url}{DEMO}/")
        shoot(participant, "dashboard-ko")
        participant.goto(f"{url}{DEMO}/leaderboard/")
        shoot(participant, "leaderboard-ko")

        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bootcamp-screenshots-") as scratch:
        env = {
            key: value for key, value in os.environ.items()
            if key not in {"REDIS_URL", "DATABASE_URL", "EMAIL_HOST"}
        }
        env.update(
            DATABASE_URL=f"sqlite:///{scratch}/demo.sqlite3", DJANGO_DB_POOL="0", DJANGO_DEBUG="1"
        )
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_curriculum", "curricula/deep-learning-specialization.toml")
        manage(env, "seed_demo")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(url, server)
            capture(url)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
