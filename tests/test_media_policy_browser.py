"""The media-policy page in headless Chromium: plots drawn, the outlet table paged and filtered,
no console errors, and an outlet name carrying a script never runs.

Reuses the driver of test_report_browser (same Chromium, same flags). A screenshot of the
whole page goes to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_report_browser import ARTIFACTS, assert_nothing_ran, driver, save_full_page, severe  # noqa: F401 - driver is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.real]

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> Path:
    from cibscope.mediapolicy import run_media_policy

    d = tmp_path_factory.mktemp("mp-browser")
    evil = d / "evil.csv"
    evil.write_text(
        "outlet_id,name,country,criterion,value,source,date,confidence\n"
        "evil,\"<img src=x onerror=\"\"window.__xss=1\"\">\",Ruritania,typology,SC,test,2023,high\n",
        encoding="utf-8",
    )
    run_media_policy([real_data / "state-media-monitor-matrix" / "State_Media_Matrix.csv", evil], out=d / "mp")
    return d / "mp" / "index.html"


def test_media_policy_page_in_a_browser(driver, page: Path) -> None:  # noqa: F811 - the imported fixture
    d = driver
    d.get(page.as_uri())
    WebDriverWait(d, 20).until(lambda _: d.find_elements(By.CSS_SELECTOR, "[data-table='tbl-compare'] tbody tr"))
    rows = d.find_elements(By.CSS_SELECTOR, "[data-table='tbl-compare'] tbody tr")
    assert len(rows) == 20
    search = d.find_element(By.CSS_SELECTOR, "[data-table='tbl-compare'] input[type=search]")
    search.send_keys("Al Jazeera")
    # every keystroke re-renders the rows: wait for the last one's (value and rows change in one
    # task), and a row replaced while it is read is read again
    WebDriverWait(d, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: search.get_property("value") == "Al Jazeera"
        and all("Al Jazeera" in r.text for r in d.find_elements(By.CSS_SELECTOR, "[data-table='tbl-compare'] tbody tr"))
    )
    matrix = d.find_element(By.ID, "mp-matrix").text
    assert "RT International" in matrix and "out of scope" in matrix
    cards = d.find_elements(By.CSS_SELECTOR, ".mp-inc")
    assert len(cards) >= 10
    ARTIFACTS.mkdir(exist_ok=True)
    save_full_page(d, ARTIFACTS / "media-policy-full.png")
    drawn = d.execute_script("return document.querySelectorAll('[data-fig] .main-svg').length")
    assert drawn >= 4  # one bar chart per policy
    assert not severe(d), severe(d)
    assert d.execute_script("return window.__xss === undefined")
    assert_nothing_ran(d)
