"""The HTML reports of the shared tiny run, opened in headless Chromium like a reviewer would.

CI installs Debian's chromium and chromium-driver (.ci/run); elsewhere these tests are
skipped when either is missing.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("headless Chromium not installed (Debian: apt-get install chromium "
                "chromium-driver); .ci/run installs it", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

SUBJECT_SECTIONS = (
    "Montage", "Raw traces · session 1", "PSD · session 1", "Channel quality · session 1",
    "Channel table · session 1", "DE topomaps per band and class",
    "DE along trials · session 1", "Model cnn4d · subject_dependent · sub-1_ses-1",
    "Real vs synthetic traces", "Real vs synthetic PSD",
    "Critical bands and channels · cnn4d · subject_dependent", "Best k channels",
    "Real vs synthetic band-power topomaps")
SUMMARY_SECTIONS = (
    "Recognition results", "Setting", "Accuracy per subject",
    "Critical bands and channels · cnn4d · subject_dependent", "Best k channels",
    "Synthetic data · signal_gan", "Training · signal_gan", "Synthetic data · feature_wgan_gp",
    "Training · feature_wgan_gp", "Synthetic data · mixup", "Augmentation gain",
    "Real vs synthetic PSD", "Configuration", "Software versions", "Input files")
WIDTH = 1400


@pytest.fixture(scope="module")
def reports(tiny_run) -> Path:
    workdir, result = tiny_run
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir / "results"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--allow-file-access-from-files",
                 # Any host name fails to resolve: a report that needs the network breaks.
                 "--host-resolver-rules=MAP * ~NOTFOUND",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 f"--window-size={WIDTH},900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("report-screenshots")


def open_report(driver, path: Path) -> None:
    driver.get_log("browser")  # drop messages of the previous page
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def section(driver, title: str):
    """The report's content block whose header reads ``title``."""
    for item in driver.find_elements(By.CSS_SELECTOR, "#content .accordion-item"):
        header = item.find_element(By.CSS_SELECTOR, ".accordion-header").text
        if header.strip().startswith(title):
            return item
    raise AssertionError(f"no section '{title}' in {driver.title}")


def check_sections(driver, titles) -> None:
    """Every section is listed in the table of contents, shown, and has content that
    rendered: a decoded image or a non-empty table / code block."""
    toc = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#toc-navbar a")]
    for title in titles:
        assert title in toc, f"'{title}' not in the table of contents: {toc}"
        item = section(driver, title)
        driver.execute_script("arguments[0].scrollIntoView({behavior: 'instant'})", item)
        assert item.is_displayed(), title
        images = item.find_elements(By.TAG_NAME, "img")
        for image in images:
            assert driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 100", image), \
                f"image of '{title}' did not render"
        # textContent: long blocks (the configuration) start collapsed, so .text is empty
        texts = [e.get_attribute("textContent")
                 for e in item.find_elements(By.CSS_SELECTOR, "table, pre, p")]
        assert images or any(t.strip() for t in texts), f"'{title}' is empty"


def check_offline_and_clean(driver) -> None:
    """Nothing was fetched from the network and nothing was logged as an error."""
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(r.startswith(("data:", "file:", "blob:")) for r in resources), resources
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def save_screenshots(driver, folder: Path, name: str) -> None:
    """The first screen and the whole page, as PNG files in ``folder``."""
    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")  # not smooth
    driver.save_screenshot(str(folder / f"{name}-top.png"))
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    (folder / f"{name}-full.png").write_bytes(base64.b64decode(shot["data"]))
    for suffix in ("top", "full"):
        assert (folder / f"{name}-{suffix}.png").stat().st_size > 10_000


def test_summary_report_renders_every_section_offline(reports, browser, screenshots):
    open_report(browser, reports / "summary" / "report.html")
    check_sections(browser, SUMMARY_SECTIONS)
    results = section(browser, "Recognition results").text
    assert "cnn4d" in results and "0.333" in results  # chance level of 3 balanced classes
    checksums = section(browser, "Input files").text
    assert len(re.findall(r"\b[0-9a-f]{64}\b", checksums)) == 3  # 2 recordings + label.mat
    assert "effect_size" in section(browser, "Configuration").get_attribute("textContent")
    gan = section(browser, "Synthetic data · signal_gan").text  # one row per class, marked
    assert all(name in gan for name in ("negative", "neutral", "positive"))
    assert re.search(r"×[0-9.]+ [✓≈✗]", gan), gan
    check_offline_and_clean(browser)
    save_screenshots(browser, screenshots, "summary")


def test_subject_report_renders_every_section_offline(reports, browser, screenshots):
    open_report(browser, reports / "reports" / "sub-1.html")
    check_sections(browser, SUBJECT_SECTIONS)
    montage = section(browser, "Montage").text
    assert "CB1" in montage and "CB2" in montage and "Every channel has a position" in montage
    check_offline_and_clean(browser)
    save_screenshots(browser, screenshots, "subject")

