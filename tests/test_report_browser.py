"""The report in a real browser: Debian's headless Chromium driven by selenium, from a file:// URL.

Asserts what a reader would see: the overview's numbers, a network drawn with one point per
member, navigation to an account page by clicking its link, no console errors, and that the
scripts planted in a description, a screen name and a tweet never run; and that clicking every
control of every plot (mode bar buttons, legend entries, links) sends no request off the
machine and opens no window (plotly.js's "Share chart" posts the chart, account names and all,
to a cloud service; the report turns it off by configuration). Chromium runs behind a proxy on
a closed port, so even a failure of this test sends nothing. Screenshots of the overview and of
an account page go to test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from report_fixtures import IMG_XSS, SCRIPT_XSS, build_case

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

selenium = pytest.importorskip("selenium", reason="selenium is not installed (pip install -e .[test])")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} absent: run `bash scripts/install.sh test` (installs chromium and chromium-driver)")
    profile = tempfile.mkdtemp(prefix="cibscope-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1360,900", f"--user-data-dir={profile}",
        # nothing can leave: every http(s) request goes to a closed local port
        "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(60)
    try:
        yield d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cibscope.report import render_report

    d = tmp_path_factory.mktemp("browser-report")
    with build_case(d / "case.duckdb") as case:
        return render_report(case, d / "report")


def severe(d: webdriver.Chrome) -> list[dict]:
    return [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]


def save_full_page(d: webdriver.Chrome, path: Path) -> None:
    """A screenshot of the whole page: scroll through it first so every lazy plot is drawn."""
    import base64

    height = d.execute_script("return document.documentElement.scrollHeight")
    for y in range(0, height, 700):
        d.execute_script("window.scrollTo({top: arguments[0], behavior: 'instant'})", y)
        WebDriverWait(d, 10).until(lambda _: d.execute_script(
            "return Array.prototype.every.call(document.querySelectorAll('[data-fig]'), function (e) {"
            " var r = e.getBoundingClientRect(); return r.width === 0 || r.bottom < 0 || r.top > innerHeight"
            " || e.querySelector('.main-svg'); });"))
    d.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    height = d.execute_script("return document.documentElement.scrollHeight")
    width = d.execute_script("return document.documentElement.scrollWidth")
    shot = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


def assert_nothing_ran(d: webdriver.Chrome) -> None:
    assert d.execute_script("return typeof window.__pwned") == "undefined"
    with pytest.raises(NoAlertPresentException):
        d.switch_to.alert.text  # noqa: B018 - raises when no alert is open


def test_overview_network_navigation_and_safety(driver: webdriver.Chrome, index: Path) -> None:
    d = driver
    d.get(index.as_uri())
    wait = WebDriverWait(d, 20)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-stat=accounts]")))
    stats = {k: d.find_element(By.CSS_SELECTOR, f"[data-stat={k}]").text for k in ("accounts", "posts", "groups", "flagged", "evidence")}
    assert stats == {"accounts": "12", "posts": "40", "groups": "2", "flagged": "8", "evidence": "53"}

    # The network of group 1 is drawn lazily when it scrolls into view: 5 member points.
    net = d.find_element(By.CSS_SELECTOR, "[data-fig=fig-net-1]")
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", net)
    count_nodes = (
        "var t = arguments[0].querySelectorAll('.scatterlayer .trace');"
        "return t.length ? t[t.length - 1].querySelectorAll('path.point').length : 0;"
    )
    wait.until(lambda _: d.execute_script(count_nodes, net) == 5)
    # Two layers (co_link, co_retweet) each draw a line trace; their legend shows both names.
    legend = [e.text for e in net.find_elements(By.CSS_SELECTOR, ".legend .legendtext")]
    assert {"co_link", "co_retweet"} <= set(legend)

    # The flagged-accounts table is built from embedded JSON: the </script> handle is text.
    d.execute_script("document.getElementById('accounts').scrollIntoView({behavior: 'instant'})")
    table_links = d.find_elements(By.CSS_SELECTOR, "#accounts table a")
    assert len(table_links) == 8
    assert table_links[0].text == "@evil</script><script>window.__pwned=2</script>"
    assert_nothing_ran(d)
    d.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    ARTIFACTS.mkdir(exist_ok=True)
    d.save_screenshot(str(ARTIFACTS / "report-overview.png"))
    save_full_page(d, ARTIFACTS / "report-overview-full.png")
    assert severe(d) == []

    # Navigate: click user_a03 in the table (its description is an <img onerror> payload).
    link = [a for a in table_links if a.text == "@user_a03"][0]
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", link)
    link.click()
    wait.until(EC.presence_of_element_located((By.ID, "handle")))
    assert d.current_url.startswith(index.parent.as_uri() + "/accounts/a-")
    assert d.find_element(By.ID, "handle").text == "@user_a03"
    assert d.find_element(By.ID, "description").text == IMG_XSS
    assert d.find_elements(By.CSS_SELECTOR, "img") == []
    assert len(d.find_elements(By.CSS_SELECTOR, ".evidence")) == 16
    wf = d.find_element(By.CSS_SELECTOR, "[data-fig=fig-waterfall]")
    wait.until(lambda _: len(wf.find_elements(By.CSS_SELECTOR, ".point")) == 4)  # 3 contributions + sum
    assert_nothing_ran(d)
    d.save_screenshot(str(ARTIFACTS / "report-account.png"))
    save_full_page(d, ARTIFACTS / "report-account-full.png")
    assert severe(d) == []


def test_script_in_a_tweet_does_not_run(driver: webdriver.Chrome, index: Path) -> None:
    from cibscope.report.data import account_page_name

    d = driver
    d.get((index.parent / "accounts" / account_page_name("a06")).as_uri())
    WebDriverWait(d, 20).until(EC.presence_of_element_located((By.ID, "handle")))
    texts = [e.text for e in d.find_elements(By.CSS_SELECTOR, ".post .text")]
    assert f"{SCRIPT_XSS} #freedom" in texts  # shown, as text
    assert_nothing_ran(d)
    # Click a partner's link: pages link to each other, and the partner page opens cleanly.
    partner = d.find_elements(By.CSS_SELECTOR, ".post .who a")[0]
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", partner)
    partner.click()
    WebDriverWait(d, 20).until(EC.presence_of_element_located((By.ID, "handle")))
    assert d.find_element(By.ID, "handle").text in {"@user_a07", "@user_a08"}
    assert_nothing_ran(d)
    assert severe(d) == []


def test_the_execution_check_would_catch_a_script(driver: webdriver.Chrome, tmp_path: Path) -> None:
    # Control: the same check on a page that *does* run an inline script and open an alert,
    # so the assertions above are known to be able to fail.
    page = tmp_path / "control.html"
    page.write_text("<!doctype html><title>c</title><script>window.__pwned = 1; alert('x');</script>", encoding="utf-8")
    driver.get(page.as_uri())
    assert driver.switch_to.alert.text == "x"
    driver.switch_to.alert.accept()
    assert driver.execute_script("return window.__pwned") == 1
    driver.get_log("browser")  # drop this page's messages so they do not leak into other tests


# -- nothing leaves the machine ---------------------------------------------------------------------
LOCAL = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")


def requests_off_machine(d: webdriver.Chrome) -> list[str]:
    """URLs the page asked for since the last call that are not local files (from Chromium's
    network events): fetches, images, scripts, form posts, navigations, web sockets."""
    import json

    urls = []
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        params = msg.get("params", {})
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(params.get("request", {}).get("url", ""))
        elif msg.get("method") == "Network.webSocketCreated":
            urls.append(params.get("url", ""))
    return [u for u in urls if not u.startswith(LOCAL)]


def draw_every_plot(d: webdriver.Chrome) -> list:
    """Scroll each plot into view (they are drawn lazily) and wait until all are drawn."""
    boxes = d.find_elements(By.CSS_SELECTOR, "[data-fig]")
    for box in boxes:
        d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", box)
        WebDriverWait(d, 20).until(lambda _: box.find_elements(By.CSS_SELECTOR, ".main-svg"))
    return boxes


CONTROLS = ".modebar-btn, .legend .traces .legendtoggle, a, .plotly-notifier a, button"


def click_every_control(d: webdriver.Chrome, page: str) -> int:
    """Click every control of every plot on ``page`` (hovering the plot first, as a reader
    would, so its mode bar shows); confirm any dialog a click opens. Returns the clicks made."""
    d.get(page)
    WebDriverWait(d, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-fig]")))
    n_boxes = len(draw_every_plot(d))
    clicks = 0
    for i in range(n_boxes):
        box = d.find_elements(By.CSS_SELECTOR, "[data-fig]")[i]
        n_controls = len(box.find_elements(By.CSS_SELECTOR, CONTROLS))
        for j in range(n_controls):
            if d.current_url != page:  # a click on a network node opens an account page: come back
                d.get(page)
                draw_every_plot(d)
                box = d.find_elements(By.CSS_SELECTOR, "[data-fig]")[i]
            controls = box.find_elements(By.CSS_SELECTOR, CONTROLS)
            if j >= len(controls):
                break
            d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", box)
            ActionChains(d).move_to_element(box).perform()  # the mode bar shows on hover
            ctl = controls[j]
            try:
                ActionChains(d).move_to_element(ctl).click().perform()
            except Exception:  # noqa: BLE001 - hidden or moved by the previous click: click it by script
                d.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", ctl)
            clicks += 1
            what = ctl.get_attribute("data-title") or ctl.get_attribute("class") or ctl.tag_name
            for confirm in d.find_elements(By.CSS_SELECTOR, ".plotly-cloud-dialog-btn--confirm"):
                confirm.click()  # the worst a reader could do: say yes to an upload
            assert len(d.window_handles) == 1, f"clicking {what!r} on {page} opened a window"
    return clicks


def test_clicking_every_plot_control_sends_nothing_off_the_machine(driver: webdriver.Chrome, index: Path) -> None:
    d = driver
    d.get_log("performance")  # drop earlier tests' events
    pages = [index.as_uri()] + [p.as_uri() for p in sorted((index.parent / "accounts").glob("a-*.html"))[:2]]
    clicks = sum(click_every_control(d, page) for page in pages)
    # the index has two group networks with mode bars and legends, account pages a waterfall
    assert clicks >= 20
    assert d.execute_script("return document.querySelectorAll('[data-title=\"Share chart...\"]').length") == 0
    assert requests_off_machine(d) == []
    assert len(d.window_handles) == 1
    assert severe(d) == []


def test_the_request_check_would_catch_plotly_uploading_a_chart(driver: webdriver.Chrome, index: Path, tmp_path: Path) -> None:
    # Control: plotly.js with its default configuration (share button on) on a page next to
    # the report's assets; clicking "Share chart" and confirming must show up as a window to
    # the cloud service or a request off the machine -- so the test above can fail.
    page = index.parent / "control-share.html"
    page.write_text(
        '<!doctype html><meta charset="utf-8"><div id="p" data-fig="x" style="width:600px;height:400px"></div>'
        '<script src="assets/plotly.min.js"></script><script src="control-share.js"></script>',
        encoding="utf-8",
    )
    (index.parent / "control-share.js").write_text(
        "Plotly.newPlot('p', [{x: [1, 2], y: [3, 1], name: 'a'}, {x: [1, 2], y: [1, 2], name: 'b'}], {}, {displayModeBar: true});",
        encoding="utf-8",
    )
    d = driver
    d.get_log("performance")
    try:
        d.get(page.as_uri())
        share = WebDriverWait(d, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-title='Share chart...']")))
        ActionChains(d).move_to_element(d.find_element(By.ID, "p")).perform()
        ActionChains(d).move_to_element(share).click().perform()
        WebDriverWait(d, 10).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".plotly-cloud-dialog-btn--confirm"))).click()
        WebDriverWait(d, 10).until(lambda _: len(d.window_handles) > 1 or requests_off_machine(d))
    finally:
        for h in d.window_handles[1:]:
            d.switch_to.window(h)
            d.close()
        d.switch_to.window(d.window_handles[0])
        d.get_log("browser")
        d.get_log("performance")
        page.unlink()
        (index.parent / "control-share.js").unlink()


def test_a_request_off_the_machine_is_seen(driver: webdriver.Chrome, tmp_path: Path) -> None:
    # Control of the checker itself: a page that fetches from the internet is caught.
    page = tmp_path / "fetch.html"
    page.write_text('<!doctype html><img src="https://example.invalid/pixel.png">', encoding="utf-8")
    driver.get_log("performance")
    driver.get(page.as_uri())
    seen = requests_off_machine(driver)
    assert seen == ["https://example.invalid/pixel.png"]
    driver.get_log("browser")
