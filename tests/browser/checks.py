"""What every page in the browser tests is held to: axe-core, no sideways scrolling on a phone, touch targets, focus.

axe-core comes from npm (tests/browser/package.json, installed by ``npm ci``
in bin/test). It is run with ``page.evaluate`` of its script's text: that goes
through the DevTools protocol, which the page's Content-Security-Policy does
not govern, so every page is checked under the policy it is served with. An
injected <script> element (``add_script_tag``) would be inline code the policy
refuses, and ``bypass_csp`` would check pages under no policy at all.
"""

import json
import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE.parents[1] / "test-artifacts" / "screenshots"  # reported by the root conftest.py
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TOUCH_TARGET = 44
BLOCKING_IMPACTS = {"serious", "critical"}


def axe_source() -> str:
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci` in {HERE}"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def accessibility_violations(page, source: str) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.0, 2.1 and 2.2 A and AA, and best practices)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source)
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_no_serious_violations(name: str, violations: list[dict]) -> None:
    serious = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not serious, f"{name}: axe-core found serious or critical violations:\n" + "\n".join(
        f"  {v['impact']} {v['id']}: {v['help']} at {v['targets']}" for v in serious
    )


def assert_fits_the_screen(page, name: str) -> None:
    """No sideways scrolling: the document is no wider than the window."""
    scroll_width, inner_width, widest = page.evaluate("""() => {
        const inner = window.innerWidth;
        const widest = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > inner + 0.5)
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''));
        return [document.documentElement.scrollWidth, inner, widest];
    }""")
    assert scroll_width <= inner_width, (
        f"{name} scrolls sideways at {inner_width} px: the page is {scroll_width} px wide; past the edge: {widest}"
    )


def small_touch_targets(page) -> list[str]:
    """Controls smaller than 44 x 44 px. A link inside running text is exempt (WCAG 2.5.5), and a
    checkbox or radio button counts with its label, which takes the same tap."""
    return page.evaluate("""(size) => {
        const blockOf = (e) => {
            let node = e.parentElement;
            while (node && getComputedStyle(node).display.startsWith('inline')) node = node.parentElement;
            return node;
        };
        const inText = (e) => e.tagName === 'A' && blockOf(e).textContent.trim().length > e.textContent.trim().length;
        const box = (e) => {
            if (e.type === 'checkbox' || e.type === 'radio') {
                const label = e.id && document.querySelector(`label[for="${e.id}"]`);
                if (label) return label.getBoundingClientRect();
            }
            return e.getBoundingClientRect();
        };
        return [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .filter(e => e.getBoundingClientRect().right > 0 && !inText(e))
            .map(e => [e, box(e)])
            .filter(([e, r]) => r.width < size - 0.5 || r.height < size - 0.5)
            .map(([e, r]) => `${e.tagName.toLowerCase()} "${(e.textContent || e.name || '').trim().slice(0, 30)}" `
                              + `${Math.round(r.width)}x${Math.round(r.height)}`);
    }""", TOUCH_TARGET)


def focus_outline(page) -> dict:
    """The focused element, and whether its outline shows (at least 2 px, not "none")."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        const style = getComputedStyle(e);
        return {
            tag: e.tagName.toLowerCase(),
            name: (e.getAttribute('aria-label')
                   || (e.labels && e.labels.length ? e.labels[0].textContent : '')
                   || e.textContent || e.value || '').trim(),
            visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        };
    }""")


class PageChecker:
    """Checks pages at desktop and phone size, keeps screenshots of both, and collects what axe
    reported below "serious" for a report beside the screenshots."""

    def __init__(self, page, folder: Path):
        self.page = page
        self.folder = folder
        self.source = axe_source()
        self.minor: dict[str, list[dict]] = {}

    def desktop(self, name: str) -> None:
        self.page.set_viewport_size(DESKTOP)
        violations = accessibility_violations(self.page, self.source)
        assert_no_serious_violations(name, violations)
        if violations:
            self.minor[name] = violations
        self.page.screenshot(path=self.folder / f"{name}-desktop.png", full_page=True)

    def phone(self, name: str) -> None:
        self.page.set_viewport_size(PHONE)
        try:
            assert_fits_the_screen(self.page, name)
            small = small_touch_targets(self.page)
            assert not small, f"{name}: touch targets under {TOUCH_TARGET} px on a phone: {small}"
            self.page.screenshot(path=self.folder / f"{name}-phone.png", full_page=True)
        finally:
            self.page.set_viewport_size(DESKTOP)

    def both(self, name: str) -> None:
        self.desktop(name)
        self.phone(name)

    def write_report(self) -> Path:
        """The violations below "serious", page by page, as Markdown beside the screenshots."""
        path = self.folder / "accessibility.md"
        lines = ["# What axe-core reported below \"serious\"", ""]
        if not self.minor:
            lines.append("Nothing: every page passed every rule.")
        for name, violations in self.minor.items():
            lines.append(f"## {name}")
            lines += [f"- {v['impact']} `{v['id']}`: {v['help']} ({json.dumps(v['targets'])})" for v in violations]
            lines.append("")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
