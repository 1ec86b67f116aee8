"""The report as a journalist reads it, on real cases, in headless Chromium (``browser``, ``real``).

* The Hong Kong 2019 takedown's set-1 users file (744 accounts, no tweets) audited with the
  shipped claims: the "236 accounts had more than 10,000 followers" claim shows 236 stated, 214
  measured, its test and why the verdict follows, with its 214 rows one click away; the hashing
  cross-table shows the 273 accounts in clear under 5,000 followers; every chart has data (an
  account-only case gets the account-metadata view, not empty activity charts); numbers in the
  claims table are not broken across lines; a Chinese display name is drawn as glyphs, not as
  missing-glyph boxes (pixels of a screenshot compared with the same number of characters no font
  has, and a control that the comparison does see boxes).
* The IRA's #KochFarms period (every Clemson tweet of 1 Nov - 15 Dec 2015: 28,665 tweets, 341
  accounts), detected and audited: the network of all groups is drawn with named hubs, no plot's
  mode bar overlaps its legend, every account is shown by handle, and an account page lists its
  audit reasons (not a list's text).

Screenshots go to test-artifacts/ for a person to look at. Marked ``slow``: the IRA case is
ingested and detected here (about half a minute).
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from test_real_detection import _ira_subset  # the same IRA period as the detection test
from test_report_browser import ARTIFACTS, driver, severe  # noqa: F401 - the module's Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.real, pytest.mark.slow]

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

HK = "twitter-io-china-082019-users"
IRA = "ira-clemson-fivethirtyeight-by-author"
HAN = re.compile("[\u4e00-\u9fff]")


# -- pixels ------------------------------------------------------------------------------------------
def decode_png(data: bytes) -> tuple[int, int, list[list[int]]]:
    """(width, height, rows of grey levels) of an 8-bit, non-interlaced RGB/RGBA/grey PNG
    (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and ctype in (0, 2, 6), (depth, ctype, interlace)
            bpp = {0: 1, 2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[list[int]] = []
    prev = bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append([(line[x * bpp] * 299 + line[x * bpp + 1] * 587 + line[x * bpp + 2] * 114) // 1000
                     if bpp >= 3 else line[x] for x in range(width)])
    return width, height, rows


def ink(png: bytes) -> list[list[bool]]:
    """The pixels darker than the background (its most common grey), cropped to their bounding box."""
    _, _, rows = decode_png(png)
    counts: dict[int, int] = {}
    for r in rows:
        for v in r:
            counts[v] = counts.get(v, 0) + 1
    bg = max(counts, key=lambda k: counts[k])
    mask = [[v < bg - 60 for v in r] for r in rows]
    ys = [y for y, r in enumerate(mask) if any(r)]
    xs = [x for x in range(len(mask[0])) if any(r[x] for r in mask)]
    assert ys and xs, "no ink: the text is not drawn at all"
    return [r[min(xs):max(xs) + 1] for r in mask[min(ys):max(ys) + 1]]


def same_drawing(a: list[list[bool]], b: list[list[bool]]) -> bool:
    """True when two ink masks are one drawing (same size, < 5% of their pixels differ)."""
    if abs(len(a) - len(b)) > 1 or abs(len(a[0]) - len(b[0])) > 1:
        return False
    h, w = min(len(a), len(b)), min(len(a[0]), len(b[0]))
    differ = sum(a[y][x] != b[y][x] for y in range(h) for x in range(w))
    return differ < 0.05 * h * w


def shot(d, element) -> bytes:  # noqa: ANN001 - selenium objects
    """A screenshot of ``element`` at twice the pixel density."""
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    # the clip is in page coordinates: the element's place in the viewport plus the scroll
    r = d.execute_script("var r = arguments[0].getBoundingClientRect();"
                         "return [r.x + window.scrollX, r.y + window.scrollY, r.width, r.height];", element)
    got = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "clip": {"x": r[0], "y": r[1], "width": r[2], "height": r[3], "scale": 2}})
    return base64.b64decode(got["data"])


# -- the cases -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hk(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    import cibscope
    from cibscope.audit import run_audit
    from cibscope.report import render_report

    d = tmp_path_factory.mktemp("hk-report")
    cibscope.ingest_files([real_data / HK / "china_082019_1_users_csv_hashed.csv"], case=d / "hk.duckdb")
    claims = resources.files("cibscope.audit").joinpath("claims").joinpath("hong-kong-2019.toml")
    run_audit(d / "hk.duckdb", claimed="all", claims=str(claims), out=d / "audit")
    index = render_report(d / "hk.duckdb", d / "report")
    with cibscope.open_case(d / "hk.duckdb", create=False, read_only=True) as c:
        names = c.con.execute(
            "SELECT screen_name, display_name FROM accounts WHERE NOT is_hashed AND display_name IS NOT NULL ORDER BY account_id"
        ).fetchall()
    # a display name of Chinese characters only, 3 or more
    chinese = [(h, n) for h, n in names if len(n) >= 3 and all(HAN.match(ch) for ch in n)]
    return {"index": index, "chinese": chinese[0]}


@pytest.fixture(scope="module")
def ira(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    import cibscope
    from cibscope.audit import run_audit
    from cibscope.detect import detect
    from cibscope.report import render_report

    d = tmp_path_factory.mktemp("ira-report")
    data = _ira_subset(real_data / IRA, d / "ira_2015_11.csv", "2015-11-01", "2015-12-15")
    cibscope.ingest_files([data], case=d / "ira.duckdb")
    with cibscope.open_case(d / "ira.duckdb") as c:
        detect(c)
        run_audit(c, claimed="all", out=d / "audit")
    yield render_report(d / "ira.duckdb", d / "report", top_n=20)


# -- Hong Kong, account files only ---------------------------------------------------------------------
def test_hong_kong_claims_hashing_and_charts_as_a_reader_sees_them(driver, hk: dict) -> None:  # noqa: F811
    d = driver
    d.get(hk["index"].as_uri())
    wait = WebDriverWait(d, 20)
    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#claims-table tr[data-claim=big_accounts]")))
    cell = {c: row.find_element(By.CSS_SELECTOR, f"[data-col={c}]").text for c in ("statement", "stated", "measured", "test", "verdict")}
    assert cell["statement"] == "236 accounts had more than 10,000 followers"
    assert cell["stated"] == "236"
    assert cell["measured"].replace("\n", " ") == "214 of 744 accounts (28.8%)"
    assert cell["test"] == "count = 236 ± 5% (225 to 247)"
    assert cell["verdict"].startswith("contradicted")
    assert "fails: 214 is outside 225 to 247: 22 fewer than the 236 stated (-9.3%)" in cell["verdict"]
    # no number of the claims table is broken across lines
    for el in d.find_elements(By.CSS_SELECTOR, "#claims-table [data-col=stated], #claims-table .nowrap"):
        if el.text.strip():
            assert d.execute_script("return arguments[0].getClientRects().length", el) == 1, el.text
            lines = d.execute_script(
                "var r = document.createRange(); r.selectNodeContents(arguments[0]);"
                "var tops = {}; Array.prototype.forEach.call(r.getClientRects(), function (x) { tops[Math.round(x.top)] = 1; });"
                "return Object.keys(tops).length;", el)
            assert lines == 1, el.text
    # one click: the 214 rows behind the measure
    link = row.find_element(By.CSS_SELECTOR, "[data-col=measured] a")
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", link)
    link.click()
    box = d.find_element(By.ID, link.get_attribute("data-open"))
    wait.until(lambda _: box.get_attribute("open") is not None)
    assert "1–15 of 214" in box.find_element(By.CSS_SELECTOR, ".pager").text
    first = box.find_elements(By.CSS_SELECTOR, "tbody tr")[0].find_elements(By.CSS_SELECTOR, "td")
    assert first[0].text.startswith("@") and int(first[1].text.replace(",", "")) > 10000
    assert re.search(r"china_082019_1_users_csv_hashed\.csv:\d+$", first[2].text)
    # the hashing rule: 273 accounts in clear under 5,000 followers
    clear = d.find_element(By.CSS_SELECTOR, "#hashing-table tr[data-hashed=no]")
    assert clear.find_element(By.CSS_SELECTOR, "[data-col=under]").text == "273"
    assert d.find_element(By.CSS_SELECTOR, "#hashing-table tr[data-hashed=yes] [data-col=at-least]").text == "0"
    # an account-only case: the account-metadata view, and no chart without data
    assert d.find_elements(By.ID, "account-only") and not d.find_elements(By.CSS_SELECTOR, "[data-fig=fig-activity], [data-fig=fig-heatmap]")
    boxes = d.find_elements(By.CSS_SELECTOR, "[data-fig]")
    assert {b.get_attribute("data-fig") for b in boxes} == {"fig-years", "fig-months", "fig-followers"}
    for b in boxes:
        d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", b)
        wait.until(lambda _: b.find_elements(By.CSS_SELECTOR, ".main-svg"))
        n = d.execute_script("return arguments[0].data.reduce(function (s, t) { return s + (t.y || []).filter(function (v) { return v > 0; }).length; }, 0)", b)
        assert n > 0, b.get_attribute("data-fig")
        assert b.find_elements(By.CSS_SELECTOR, ".bars path, .point path, path.point")
    years = {r.find_element(By.CSS_SELECTOR, "td").text: r.find_element(By.CSS_SELECTOR, "[data-col=accounts]").text
             for r in d.find_elements(By.CSS_SELECTOR, "#creation-years tr[data-year]")}
    assert years["2017"] == "416" and sum(int(v) for v in years.values()) == 744
    ARTIFACTS.mkdir(exist_ok=True)
    from test_report_browser import save_full_page

    save_full_page(d, ARTIFACTS / "report-hong-kong-full.png")
    assert severe(d) == []


def test_a_chinese_display_name_is_drawn_as_glyphs_not_boxes(driver, hk: dict) -> None:  # noqa: F811
    d = driver
    handle, name = hk["chinese"]
    d.get(hk["index"].as_uri())
    search = WebDriverWait(d, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-table=tbl-verdicts] input[type=search]")))
    search.send_keys(handle)
    # each keystroke re-renders the table: take the cell only once the last one has been applied
    # (the value and its re-render happen in one task), else the cell found after a prefix is
    # replaced under the screenshot and the shot is of an empty place
    cell = WebDriverWait(d, 10, ignored_exceptions=(StaleElementReferenceException,)).until(lambda _: search.get_property("value") == handle and [
        e for e in d.find_elements(By.CSS_SELECTOR, "[data-table=tbl-verdicts] .dname") if e.text == name])[0]
    assert cell.get_attribute("lang").startswith("zh")
    font = d.execute_script("return getComputedStyle(arguments[0]).fontFamily", cell)
    assert "Noto Sans CJK SC" in font
    # the same number of characters that no font has (U+0378, unassigned): missing-glyph boxes
    boxes = d.execute_script(
        "var a = arguments[0], b = a.cloneNode(false), c = a.cloneNode(false);"
        "b.textContent = '\\u0378'.repeat(arguments[1]); c.textContent = '\\u0379'.repeat(arguments[1]);"
        "b.id = 'tofu-a'; c.id = 'tofu-b'; a.parentNode.appendChild(b); a.parentNode.appendChild(c); return [b, c];",
        cell, len(name))
    drawn, tofu_a, tofu_b = ink(shot(d, cell)), ink(shot(d, boxes[0])), ink(shot(d, boxes[1]))
    # control: two strings of missing characters are one drawing (a row of boxes) -- the check sees boxes
    assert same_drawing(tofu_a, tofu_b)
    # the name is not that drawing: its characters have glyphs, about one em wide each
    assert not same_drawing(drawn, tofu_a)
    size = float(d.execute_script("return parseFloat(getComputedStyle(arguments[0]).fontSize)", cell)) * 2  # scale 2
    assert 0.6 * size * len(name) <= len(drawn[0]) <= 1.2 * size * len(name), (len(drawn[0]), size, name)
    # and the characters differ from one another (boxes would all be the same)
    per = len(drawn[0]) / len(name)
    glyphs = [[r[int(i * per):int((i + 1) * per)] for r in drawn] for i in range(len(name))]
    if len(set(name)) > 1:
        assert len({str(g) for g in glyphs}) > 1
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report-chinese-name.png").write_bytes(shot(d, cell.find_element(By.XPATH, "./ancestor::tr")))


# -- IRA, posts detected and audited --------------------------------------------------------------------
def _overlap(a: dict, b: dict) -> bool:
    return not (a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])


RECT = ("var r = arguments[0].getBoundingClientRect();"
        "return {text: arguments[0].textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom};")


def test_ira_network_hubs_legends_and_handles(driver, ira: Path) -> None:  # noqa: F811
    d = driver
    d.get(ira.as_uri())
    wait = WebDriverWait(d, 30)
    net = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-fig=fig-network]")))
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", net)
    wait.until(lambda _: net.find_elements(By.CSS_SELECTOR, ".main-svg"))
    n_nodes = d.execute_script(
        "return arguments[0].data.filter(function (t) { return t.meta === 'nodes'; }).reduce(function (s, t) { return s + t.x.length; }, 0)", net)
    assert 100 <= n_nodes <= 1000
    labels = [e.text for e in net.find_elements(By.CSS_SELECTOR, ".textpoint text")]
    assert labels and all(t.startswith("@") for t in labels)
    # named hubs do not overlap one another
    rects = [d.execute_script(RECT, e) for e in net.find_elements(By.CSS_SELECTOR, ".textpoint text")]
    crowded = [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if _overlap(a, b)]
    assert not crowded, crowded
    # no plot's mode bar overlaps its legend (the mode bar shows on hover)
    checked = 0
    for box in d.find_elements(By.CSS_SELECTOR, "[data-fig]"):
        d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", box)
        WebDriverWait(d, 20).until(lambda _: box.find_elements(By.CSS_SELECTOR, ".main-svg") or not box.is_displayed())
        if not box.is_displayed():
            continue
        ActionChains(d).move_to_element(box).perform()
        bars, legends = box.find_elements(By.CSS_SELECTOR, ".modebar"), box.find_elements(By.CSS_SELECTOR, ".legend")
        if bars and legends:
            assert not _overlap(d.execute_script(RECT, bars[0]), d.execute_script(RECT, legends[0])), box.get_attribute("data-fig")
            checked += 1
    assert checked >= 2  # the network of all groups and at least one group card
    # every account is shown by its handle (the Clemson data has no display names)
    d.execute_script("document.getElementById('accounts').scrollIntoView({behavior: 'instant'})")
    cells = d.find_elements(By.CSS_SELECTOR, "#accounts tbody tr td:first-child")
    assert cells and all(c.text.startswith("@") for c in cells)
    assert not any(c.text == "–" for c in d.find_elements(By.CSS_SELECTOR, "#accounts tbody td"))
    d.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    ARTIFACTS.mkdir(exist_ok=True)
    d.execute_script("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'})", net)
    (ARTIFACTS / "report-ira-network.png").write_bytes(shot(d, net))
    assert severe(d) == []


def test_ira_account_page_lists_its_audit_reasons(driver, ira: Path) -> None:  # noqa: F811
    d = driver
    page = sorted((ira.parent / "accounts").glob("a-*.html"))[0]
    d.get(page.as_uri())
    reasons = WebDriverWait(d, 20).until(EC.presence_of_element_located((By.ID, "verdict-reasons")))
    items = [li.text for li in reasons.find_elements(By.CSS_SELECTOR, "li")]
    assert items and items[0].startswith("flagged by detection")
    body = d.find_element(By.TAG_NAME, "main").text
    assert '["' not in body and "', '" not in body
    assert d.find_element(By.ID, "handle").text.startswith("@")
    assert severe(d) == []
