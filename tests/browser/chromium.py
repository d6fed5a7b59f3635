"""Where the browser tests find Chromium and put their screenshots (the fixture is in conftest.py).

Debian's chromium at /usr/bin/chromium, or another Chromium-based browser
named by CHROMIUM_PATH (Playwright's own browser download is not used).
Screenshots go to test-artifacts/screenshots/, each test's under names of its
own: the test files run in parallel processes, so none empties the folder.
"""

import os
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"  # reported by conftest.py
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def shoot(page, name):
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
