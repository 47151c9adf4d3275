"""A real headless browser for the report's tests: Debian's Chromium driven by Playwright.

    python -m tests.browser plots/report.html docs/report.png   # a screenshot

The network is blocked twice: Chromium's own background connections are off, and every
request the page makes that is not a local file is aborted and recorded, so a test can
assert there were none.
"""
import contextlib
import os
import shutil
import sys

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def missing():
    """Why no browser test can run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-full.txt)"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    return None


class Page:
    """A loaded page and what it did: console errors, dialogs, blocked requests."""

    def __init__(self, page):
        self.page, self.errors, self.dialogs, self.blocked = page, [], [], []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)
        page.route("**/*", self._route)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


@contextlib.contextmanager
def open_page(path, width=1280, height=900):
    """Open ``path`` (a local file) in headless Chromium; yields a :class:`Page`."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = Page(browser.new_page(viewport={"width": width, "height": height}))
            page.page.goto("file://" + os.path.abspath(path))
            page.page.wait_for_load_state("load")
            yield page
        finally:
            browser.close()


def screenshot(path, out, height=1500):
    with open_page(path, height=height) as page:
        page.page.wait_for_timeout(1000)
        page.page.screenshot(path=out)


if __name__ == "__main__":
    screenshot(*sys.argv[1:3])
