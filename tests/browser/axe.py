"""axe-core inside the browser tests: a page passes WCAG 2.1 level A and AA or the test
fails with the list of what broke.

axe-core is the engine the browsers' own accessibility audits use; the
axe-playwright-python package bundles one release of it (requirements-test.txt pins it), so
the rules do not change under the tests without a commit.
"""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

#: WCAG 2.1 level A and AA success criteria; axe's best practices and AAA rules are not asked.
WCAG_21_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_axe = Axe()


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now (after any script has run)."""
    # axe-core is loaded once per page load (its script is 0.5 MB); a second check of the
    # same page, e.g. at another width, reuses it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe.axe_script)
    options = {
        "runOnly": {"type": "tag", "values": WCAG_21_AA_TAGS},
        "resultTypes": ["violations"],
    }
    return page.evaluate("(options) => axe.run(document, options)", options)["violations"]


def describe_violations(violations: list[dict]) -> str:
    """One line per rule (id, impact, what it asks), then each element: its selector, what
    axe-core found and the start of its HTML."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target} — {summary}")
            lines.append(f"      {node['html'][:160]}")
    return "\n".join(lines)


def accessibility_report(page: Page, name: str) -> str:
    """Empty when axe-core finds no WCAG 2.1 A/AA violation on the page, else what broke,
    headed by `name` (which page, at which width)."""
    violations = axe_violations(page)
    if not violations:
        return ""
    return (
        f"{name} ({page.url}, {page.viewport_size['width']} px): "
        f"{len(violations)} WCAG 2.1 AA rule(s) broken\n{describe_violations(violations)}"
    )


def assert_accessible(page: Page, name: str) -> None:
    """Fail unless axe-core finds no WCAG 2.1 A/AA violation on the page."""
    report = accessibility_report(page, name)
    assert not report, report
