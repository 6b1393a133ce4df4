"""Accessibility checks with axe-core, run inside the page under test."""

from __future__ import annotations

from pathlib import Path

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()


def accessibility_problems(page, *, tags=("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")) -> list:
    """WCAG A and AA violations axe-core finds in the page as it is now.

    The script is evaluated through the browser's tooling, not added to the page, so Tend's
    Content-Security-Policy stays as strict as ever.
    """
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE + "\n;undefined")
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map((n) => n.html.slice(0, 160)),
            }));
        }""",
        list(tags),
    )
