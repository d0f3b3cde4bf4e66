"""The review pages in a real browser: Debian's headless Chromium driven by Selenium through
Debian's chromedriver, the pages opened from file:// as a reviewer opens them. Everything is
asserted from the live DOM and the media element (waiting for conditions, never for a time), and
a screenshot of each page is left in the test's tmp folder."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_sample, ffprobe_json, run_cli
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from test_preview import HOSTILE, HOSTILE_TAG, hostile_subs, make_clip, write_subs

import subtool
from subtool.testing.gladia import EmulatorProcess

# Without the background-networking flags Chromium's own connections (updates, sync) are refused
# by a closed network and can stall it; a fresh profile per run keeps earlier state out.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--window-size=1280,1000", "--mute-audio")
WAIT = 60  # seconds at most for a condition: a loaded machine is slow, a broken page never gets there


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def until(driver: WebDriver, script: str, *args: Any) -> Any:
    """Wait until ``script`` returns something true; return it."""
    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(lambda d: d.execute_script(script, *args))


def open_page(driver: WebDriver, page: Path) -> None:
    driver.get_log("browser")  # what earlier pages said is theirs
    driver.get(page.as_uri())
    until(driver, "const v = document.getElementById('video');"
                  "return document.documentElement.dataset.ready === '1' && (!v || v.readyState >= 2);")


def problems_said(driver: WebDriver) -> list[dict[str, Any]]:
    """Console errors and policy violations (a blocked inline script would be one)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def no_dialog(driver: WebDriver) -> bool:
    try:
        driver.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


def screenshot(driver: WebDriver, path: Path) -> None:
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def active_text(driver: WebDriver, track: int, at: float) -> str:
    """The text of ``track``'s active cue once the video has been moved to ``at``."""
    driver.execute_script("document.getElementById('video').currentTime = arguments[0];", at)
    return str(until(driver, """const v = document.getElementById('video'); const t = v.textTracks[arguments[0]];
        if (v.seeking || !t.activeCues || t.activeCues.length === 0) return null;
        return t.activeCues[0].getCueAsHTML().textContent;""", track))


def test_the_video_plays_with_one_track_per_language(browser: WebDriver, tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mkv", size="1280x720", vcodec="libx265", acodec="libopus", seconds=4)
    en, fr = write_subs(tmp_path)
    result = subtool.preview(video, [fr, en], language="en")
    open_page(browser, Path(result.page))
    state = browser.execute_script("""const v = document.getElementById('video');
        return {ready: v.readyState, duration: v.duration, src: v.currentSrc,
                tracks: Array.from(v.textTracks).map(t => [t.kind, t.language, t.label, t.mode])};""")
    assert state["ready"] >= 2 and state["src"].endswith("/clip.proxy.mp4")
    played = float(ffprobe_json(Path(result.proxy or ""))["format"]["duration"])
    assert abs(state["duration"] - played) < 0.1 and abs(state["duration"] - 4.0) < 0.2
    assert state["tracks"] == [["subtitles", "en", "English", "showing"], ["subtitles", "fr", "Français", "hidden"]]
    browser.find_element(By.CSS_SELECTOR, '.langs button[data-show="1"]').click()
    modes = browser.execute_script("return Array.from(document.getElementById('video').textTracks).map(t => t.mode);")
    assert modes == ["hidden", "showing"]
    assert active_text(browser, 1, 0.7) == "Bonjour à tous."
    assert active_text(browser, 1, 2.5) == "Ils se chevauchent."
    screenshot(browser, tmp_path / "page.png")
    assert problems_said(browser) == [] and no_dialog(browser)


def test_one_mark_per_cue_with_its_problems_and_clicking_seeks(browser: WebDriver, tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mp4", seconds=12)
    en, fr = write_subs(tmp_path)
    result = subtool.preview(video, [en, fr])
    open_page(browser, Path(result.page))
    for lane, path in enumerate((en, fr)):
        marks = browser.execute_script("""return Array.from(document.querySelectorAll(`.lane[data-t="${arguments[0]}"] .m`))
            .map(m => [parseInt(m.dataset.c, 10), Array.from(m.classList), parseFloat(m.dataset.s), m.getBoundingClientRect().width]);""", lane)
        [checked] = subtool.check(path)
        assert [m[0] for m in marks] == list(range(1, checked.cues + 1))
        classes = {m[0]: set(m[1]) for m in marks}
        for v in checked.violations:
            assert f"p-{v.code}" in classes[v.index]
        assert all(m[3] >= 2 for m in marks)  # laid out: every mark can be seen and clicked
        worst = {v.index for v in checked.violations}
        assert all(any(c.startswith("w-") for c in classes[i]) == (i in worst) for i in classes)
    # Cue 4 of the English track is too long (7.4 s): clicking its mark moves the video to its start.
    mark = browser.find_element(By.CSS_SELECTOR, '.lane[data-t="0"] .m[data-c="4"]')
    assert "p-too_long" in (mark.get_attribute("class") or "").split()
    mark.click()
    assert until(browser, "const v = document.getElementById('video'); return !v.seeking && Math.abs(v.currentTime - 3.6) < 0.001;")
    assert "sel" in (mark.get_attribute("class") or "").split()
    # A French mark: the French track is shown and the video is at its cue.
    browser.find_element(By.CSS_SELECTOR, '.lane[data-t="1"] .m[data-c="2"]').click()
    assert until(browser, "const v = document.getElementById('video'); return !v.seeking && Math.abs(v.currentTime - 1.8) < 0.001;")
    assert browser.execute_script("return document.getElementById('video').textTracks[1].mode;") == "showing"
    # A row of the problems table seeks too.
    browser.find_element(By.CSS_SELECTOR, '#problems tr[data-t="0"][data-c="3"]').click()
    assert until(browser, "const v = document.getElementById('video'); return !v.seeking && Math.abs(v.currentTime - 2.5) < 0.001;")
    screenshot(browser, tmp_path / "timeline.png")
    assert problems_said(browser) == [] and no_dialog(browser)


def test_hostile_cue_texts_show_as_text_and_run_nothing(browser: WebDriver, tmp_path: Path) -> None:
    video = make_clip(tmp_path / 'clip "<img src=x onerror=alert(3)>.mp4', seconds=4)
    vtt, ass = hostile_subs(tmp_path)
    result = subtool.preview(video, [vtt, ass], language="de")
    open_page(browser, Path(result.page))
    assert active_text(browser, 0, 1.0) == HOSTILE
    assert active_text(browser, 0, 3.5) == "--> 00:00:09.000 & more"
    browser.find_element(By.CSS_SELECTOR, '.langs button[data-show="1"]').click()
    assert active_text(browser, 1, 1.0) == HOSTILE_TAG
    cells = browser.execute_script("return Array.from(document.querySelectorAll('.m')).map(m => m.title);")
    assert any(HOSTILE in c for c in cells) and any(HOSTILE_TAG in c for c in cells)
    dom = browser.execute_script("""return {imgs: document.images.length, scripts: document.scripts.length,
        tracks: document.querySelectorAll('track').length, title: document.title, h1: document.querySelector('h1').textContent};""")
    assert dom == {"imgs": 0, "scripts": 2, "tracks": 2, "title": f"{video.name}: preview", "h1": video.name}
    screenshot(browser, tmp_path / "hostile.png")
    assert no_dialog(browser) and problems_said(browser) == []


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0.2) as emu:
        yield emu


def test_the_batch_index_lists_every_item_with_links_that_resolve(browser: WebDriver, tmp_path: Path, emulator: EmulatorProcess) -> None:
    a = copy_sample("talk.mp4", tmp_path, "a.mp4")
    b = copy_sample("bonjour.mkv", tmp_path, "b.mkv")
    env = {"GLADIA_API_KEY": "test-key-for-preview", "GLADIA_API_URL": emulator.url}
    res = run_cli("batch", str(a), str(b), str(tmp_path / "missing.mp4"), "-t", "es", "--mux", "mkv-multi", "-d", str(tmp_path / "out"),
                  "--preview", "--report", str(tmp_path / "reports" / "report.json"), "--json", env=env)
    assert res.returncode == 1, res.stderr
    index = Path(json.loads(res.stdout)["index"])
    assert index == tmp_path / "reports" / "index.html"
    open_page(browser, index)
    rows = browser.execute_script("""return Array.from(document.querySelectorAll('#items tbody tr')).map(r =>
        ({input: r.dataset.input, status: r.dataset.status, problems: parseInt(r.dataset.problems, 10),
          links: Array.from(r.querySelectorAll('a')).map(a => [a.textContent, a.href]),
          missing: r.querySelectorAll('.missing').length}));""")
    by_name = {Path(r["input"]).name: r for r in rows}
    assert len(rows) == 3 and {n: r["status"] for n, r in by_name.items()} == {"a.mp4": "done", "b.mkv": "done", "missing.mp4": "failed"}
    for name in ("a", "b"):
        links = dict(by_name[f"{name}.mp4" if name == "a" else f"{name}.mkv"]["links"])
        assert {"page", "video", f"{name}.en.srt" if name == "a" else f"{name}.fr.srt", f"{name}.es.srt"} <= set(links)
        for href in links.values():
            assert href.startswith("file://") and Path(urllib.parse.unquote(urllib.parse.urlparse(href).path)).is_file(), href
        assert links["video"].endswith(f"/out/{name}.subtitled.mkv")
    assert by_name["missing.mp4"]["links"] == [] and by_name["missing.mp4"]["problems"] == -1
    assert all(r["missing"] == 0 for r in rows)
    # Sorted by problems (most first), then the other way.
    browser.find_element(By.CSS_SELECTOR, 'button[data-sort="problems"]').click()
    order = browser.execute_script("return Array.from(document.querySelectorAll('#items tbody tr')).map(r => parseInt(r.dataset.problems, 10));")
    assert order == sorted((r["problems"] for r in rows), reverse=True)
    browser.find_element(By.CSS_SELECTOR, 'button[data-sort="problems"]').click()
    order = browser.execute_script("return Array.from(document.querySelectorAll('#items tbody tr')).map(r => parseInt(r.dataset.problems, 10));")
    assert order == sorted(r["problems"] for r in rows)
    screenshot(browser, tmp_path / "index.png")
    assert problems_said(browser) == []
    # An item's page, followed from its link, plays its delivery (an MKV: through its proxy).
    browser.find_element(By.XPATH, f"//tr[@data-input='{a}']//a[text()='page']").click()
    until(browser, "const v = document.getElementById('video'); return document.documentElement.dataset.ready === '1' && v && v.readyState >= 2;")
    tracks = browser.execute_script("return Array.from(document.getElementById('video').textTracks).map(t => [t.language, t.label]);")
    assert tracks == [["en", "English"], ["es", "Español"]]
    screenshot(browser, tmp_path / "item.png")
    assert problems_said(browser) == [] and no_dialog(browser)
