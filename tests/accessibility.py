"""An automated accessibility check in the real browser: axe-core (npm, pinned in tests/axe/package-lock.json).

    problems = serious_violations(page)   # [] when axe finds nothing serious or critical

axe is evaluated through Playwright (DevTools), not added as a script tag, so the pages' strict
Content-Security-Policy stays as it is; the page needs JavaScript enabled for it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests.oidc_provider import ensure_node_modules

AXE_DIR = Path(__file__).parent / "axe"
SERIOUS = ("serious", "critical")


@cache
def axe_source() -> str:
    ensure_node_modules(AXE_DIR)
    return (AXE_DIR / "node_modules" / "axe-core" / "axe.min.js").read_text()


def serious_violations(page, impacts=SERIOUS) -> list[str]:
    """axe's violations of ``impacts`` on the page as it is now, one line each (rule, impact, help, elements)."""
    page.evaluate(axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{page.url}: {found['id']} ({found['impact']}): {found['help']} "
            f"{[node['target'] for node in found['nodes']][:5]}"
            for found in result["violations"] if found["impact"] in impacts]
