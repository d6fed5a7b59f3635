"""Where the browser journeys leave their screenshots: test-artifacts/screenshots/ (reported by conftest.py).

Each journey names its own and clears only those, so journeys running in
parallel processes keep each other's.
"""

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def clear_screenshots(pattern: str) -> None:
    """Remove a journey's screenshots of an earlier run (its names match pattern), and only those."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(pattern):
        old.unlink()


def shoot(page, name):
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
