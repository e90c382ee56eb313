"""bandit over the app's code: no high-severity finding (`make audit` runs the same check in CI).

Here too, so that whoever adds one sees it with the tests, not only after them.
"""

import json
import subprocess
import sys

from django.conf import settings

PACKAGES = ["bootcamp", "courses", "cohorts"]


def test_bandit_finds_nothing_of_high_severity():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *PACKAGES, "--severity-level", "high",
         "--format", "json", "--quiet"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    assert report["metrics"]["_totals"]["loc"] > 1000  # it did read the code
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert not findings, "\n".join(findings)
    assert result.returncode == 0, result.stderr[-2000:]
