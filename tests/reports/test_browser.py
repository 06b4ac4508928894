"""report.html in a real headless Chromium (Debian's, driven by Playwright for Python;
no browser is ever downloaded): no console error, no network request, the charts drawn,
the verdict above the fold on a desktop and on a phone, and the filter usable from the
keyboard. Screenshots are kept as test artifacts (their paths are printed)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BOUCLIER_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is absent: pip install playwright")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium is absent ({CHROMIUM}): apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser, path: Path, viewport):
    page = browser.new_page(viewport=viewport)
    events = {"console": [], "requests": [], "errors": []}
    page.on("console", lambda m: events["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: events["errors"].append(str(e)))
    page.on("request", lambda r: events["requests"].append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, events


@pytest.mark.parametrize("device, viewport", [("desktop", {"width": 1280, "height": 800}),
                                              ("phone", {"width": 390, "height": 844})])
def test_report_in_chromium(browser, failed_run, tmp_path_factory, device, viewport):
    _, run = failed_run
    html = run / "report.html"
    page, events = _open(browser, html, viewport)
    try:
        assert events["console"] == [] and events["errors"] == []
        assert events["requests"] == [html.as_uri()]  # the page itself, nothing else

        verdict = page.locator("#verdict")
        assert verdict.inner_text().strip().endswith("FAIL")
        box = verdict.bounding_box()
        assert box and box["y"] + box["height"] <= viewport["height"]  # above the fold
        reason = page.locator(".reason").bounding_box()
        assert reason["y"] + reason["height"] <= viewport["height"]
        # no horizontal scrolling of the page, even on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        charts = page.locator("svg.chart")
        assert charts.count() == 1 and charts.first.bounding_box()["width"] > 200
        assert page.locator("svg.chart rect").count() >= 8  # 4 languages x 2 models (+ legend)
        assert page.locator("svg.strip").count() == 2
        assert charts.first.get_attribute("role") == "img"

        shots = tmp_path_factory.mktemp(f"screenshots-{device}")
        page.screenshot(path=str(shots / "above-the-fold.png"))

        # Keyboard only: Tab to the filter, type, Escape clears.
        cases = page.locator("article.case")
        assert cases.count() == 40
        page.locator("body").click(position={"x": 1, "y": 1})
        for _ in range(50):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == "case-filter":
                break
        else:
            pytest.fail("the case filter is not reachable with the Tab key")
        page.keyboard.type("de-shipping")
        assert page.locator("article.case:visible").count() == 10
        assert page.locator("#case-count").inner_text() == "showing 10 of 40 cases"
        page.locator("#h-reg").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "filtered.png"))
        page.keyboard.press("Escape")
        assert page.locator("article.case:visible").count() == 40
        page.screenshot(path=str(shots / "full-page.png"), full_page=True)
        print(f"\nscreenshots ({device}): {shots}")
        assert events["console"] == [] and events["errors"] == []
    finally:
        page.close()


def test_print_layout(browser, failed_run, tmp_path_factory):
    """Printing keeps the verdict and the charts and hides the filter box."""
    _, run = failed_run
    page, events = _open(browser, run / "report.html", {"width": 1000, "height": 800})
    page.emulate_media(media="print")
    assert page.locator(".filter").evaluate("e => getComputedStyle(e).display") == "none"
    assert page.locator("#verdict").is_visible() and page.locator("svg.chart").is_visible()
    pdf = tmp_path_factory.mktemp("print") / "report.pdf"
    page.pdf(path=str(pdf))
    assert pdf.stat().st_size > 10_000
    print(f"\nprinted: {pdf}")
    page.close()
