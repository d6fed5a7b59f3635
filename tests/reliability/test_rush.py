"""A bounded registration rush through gunicorn (bench/rush.py with N=60, C=10)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sixty_students_rush_ten_seats_without_overbooking(tmp_path):
    report_path = tmp_path / "rush.json"
    result = subprocess.run(
        [sys.executable, "bench/rush.py", "--students", "60", "--seats", "10", "--json", str(report_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(report_path.read_text())
    assert result.returncode == 0, result.stdout + result.stderr
    assert (report["enrolled"], report["waitlisted"], report["duplicates"]) == (10, 50, 0)
    assert report["http_statuses"] == {"302": 60}
    assert report["waitlist_in_order"]
