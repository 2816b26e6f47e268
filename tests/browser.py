"""Browser contexts that report what a person would not want to see: console errors, uncaught
errors and Content-Security-Policy violations (see the `browser_problems` fixture)."""

from __future__ import annotations

import contextlib
import re

# Runs in every document before the page's own scripts; Playwright injects it past the CSP.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cxmCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` in ${event.sourceFile || document.location.pathname}:${event.lineNumber} ${event.sample || ""}`);
});
"""


class BrowserProblems:
    """Console errors, uncaught exceptions and CSP violations seen in a test's browser; the
    `page` fixture fails the test at teardown if any is left that the test did not expect."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.expected: list[re.Pattern[str]] = []

    def expect(self, pattern: str) -> None:
        """A test that provokes an error on purpose (a refused request, say) names it here."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [seen for seen in self.seen if not any(p.search(seen) for p in self.expected)]


def watched_context(browser, problems: BrowserProblems, who: str = "", **options):
    """A new browser context whose console errors, uncaught errors and CSP violations are reported
    to `problems` (the `browser_problems` fixture). Every context a browser test opens is one."""
    context = browser.new_context(**options)
    watch_problems(context, problems, who)
    return context


def watch_problems(context, problems: BrowserProblems, who: str = "") -> None:
    """Report a context's problems to `problems`; a test with one context per person names the
    person, so the report says whose page it was."""
    seen = problems.seen
    prefix = f"[{who}] " if who else ""
    context.expose_function("__cxmCspViolation", lambda report: seen.append(f"{prefix}CSP violation: {report}"))
    context.add_init_script(CSP_VIOLATION_LISTENER)
    context.on(
        "console",
        lambda message: (
            seen.append(f"{prefix}console error: {message.text} ({message.location.get('url')})")
            if message.type == "error"
            else None
        ),
    )
    context.on("weberror", lambda error: seen.append(f"{prefix}uncaught error: {error.error}"))


def close_watched(context) -> None:
    for open_page in context.pages:
        with contextlib.suppress(Exception):
            # Lets reports still travelling from the page arrive before the verdict.
            open_page.evaluate("() => new Promise((done) => setTimeout(done, 50))")
    context.close()
