"""The observer's web view in a real browser (Debian's chromium, driven headless by selenium).

The observed program runs in a subprocess (tests/observer/web_program.py), as a
real program would; the browser logs in with the one-time link it prints.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
PROGRAM = Path(__file__).with_name("web_program.py")
ROOT = Path(__file__).parents[2]

needs_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium and chromium-driver are not installed (make test installs them)",
)


class Program:
    """The observed subprocess: its pid, login link and base URL."""

    def __init__(self, tmp_path, sessions=3, *options):
        self.log = tmp_path / "program.log"
        self.state_dir = tmp_path / "state"
        with self.log.open("w") as log:
            # Output goes to a file, never a pipe nobody reads (structlog's crash reports
            # would fill it and block the program).
            self.process = subprocess.Popen(
                [sys.executable, str(PROGRAM), str(self.state_dir), str(sessions), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        wait_for(
            lambda: "ready" in self.log.read_text() or self.process.poll() is not None,
            what="the program to start",
        )
        assert self.process.poll() is None, self.log.read_text()
        self.link = None
        if "--no-web" not in options:
            self.link = next(
                line.split("open ", 1)[1].strip()
                for line in self.log.read_text().splitlines()
                if "eventlib observer: open" in line
            )
            self.base = self.link.split("/login", 1)[0]

    def new_link(self):
        """A fresh one-time login link, asked from the program's endpoint as the CLI does."""
        from eventlib.observer._client import fetch, find_endpoint

        endpoint = find_endpoint(self.state_dir, self.process.pid)
        return fetch(endpoint["host"], endpoint["port"], endpoint["token"], command="web")["url"]

    def crash_worker(self):
        os.kill(self.process.pid, signal.SIGUSR1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """One observed program for the module's tests (each logs in with a fresh link)."""
    program = Program(tmp_path_factory.mktemp("program"), 120)  # 3 pages of sessions
    yield program
    program.stop()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait_for(condition, timeout=20.0, what="the page"):
    """Poll ``condition`` (a browser query, cheap) until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # the element is not there yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def child_cell(driver, label, cell):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'tr[data-label="{label}"] td.{cell}').text


def http(url, cookie=None, method="GET", data=None, headers=None):
    """(status, headers, body) of one request, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    if cookie:
        request.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read(200)
    except urllib.error.HTTPError as error:
        with error:  # an HTTPError holds the response's socket
            return error.code, error.headers, error.read()


def login(program):
    """Redeem a fresh one-time link with plain HTTP; return the session cookie."""
    status, headers, _ = http(program.new_link())
    assert status == 303
    return headers["Set-Cookie"].split(";", 1)[0]


@needs_browser
def test_page_shows_the_tree_and_a_restart_live(program, browser, tmp_path):
    """The page shows the tree; a crashed child's restart count changes without a reload."""
    from selenium.webdriver.common.by import By

    browser.get(program.new_link())
    restarts = int(wait_for(lambda: child_cell(browser, "worker", "restarts"), what="the worker"))
    assert child_cell(browser, "session[2]", "state") == "running"
    summary = browser.find_element(By.CSS_SELECTOR, 'details[data-path="app/sessions"] summary')
    assert "simple_one_for_one" in summary.text
    browser.execute_script("window.notReloaded = true;")
    program.crash_worker()
    wait_for(
        lambda: child_cell(browser, "worker", "restarts") == str(restarts + 1), what="the restart"
    )
    assert browser.execute_script("return window.notReloaded === true;")
    assert "live" in browser.find_element(By.ID, "status").text
    wait_for(lambda: browser.execute_script("return document.querySelectorAll('.u-over').length"))
    browser.save_screenshot(str(tmp_path / "observer-web.png"))
    assert (tmp_path / "observer-web.png").stat().st_size > 10_000


@needs_browser
def test_a_big_supervisor_is_paged(program, browser):
    """A supervisor with more children than a page shows one page and moves between pages."""
    from selenium.webdriver.common.by import By

    browser.get(program.new_link())
    wait_for(lambda: child_cell(browser, "session[49]", "state"), what="the first page")
    rows = browser.find_elements(By.CSS_SELECTOR, 'details[data-path="app/sessions"] tbody tr')
    assert len(rows) == 50
    pager = browser.find_element(By.CSS_SELECTOR, 'details[data-path="app/sessions"] .pager')
    assert "page 1 of 3" in pager.text
    pager.find_elements(By.TAG_NAME, "button")[1].click()  # next
    wait_for(lambda: child_cell(browser, "session[50]", "state"), what="the second page")
    assert not browser.find_elements(By.CSS_SELECTOR, 'tr[data-label="session[0]"]')


@needs_browser
def test_proc_details_show_where_it_waits(program, browser):
    """Clicking a child's proc id shows that proc's details, with the stack where it is parked."""
    from selenium.webdriver.common.by import By

    browser.get(program.new_link())
    wait_for(lambda: child_cell(browser, "worker", "state"), what="the worker")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-label="worker"] td.proc button').click()
    stack = wait_for(
        lambda: browser.find_element(By.ID, "details-stack").text, what="the proc's stack"
    )
    assert "sleep" in stack
    fields = browser.find_element(By.ID, "details-fields").text
    assert "app/worker" in fields


@needs_browser
def test_page_without_login_is_refused(program, browser):
    """Without the login link's cookie, the page is refused and shows how to log in."""
    from selenium.webdriver.common.by import By

    browser.get(program.base + "/")
    assert "Not logged in" in browser.find_element(By.TAG_NAME, "h1").text
    browser.add_cookie({"name": "eventlib_observer", "value": "forged"})
    browser.get(program.base + "/")
    assert "Not logged in" in browser.find_element(By.TAG_NAME, "h1").text


@needs_browser
def test_login_sets_a_strict_httponly_cookie(program, browser):
    """The login link sets an HttpOnly SameSite=Strict cookie and lands on the page."""
    browser.get(program.new_link())
    [cookie] = browser.get_cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert browser.current_url == program.base + "/"
    assert browser.execute_script("return document.cookie") == ""


def test_login_link_works_once(program):
    """A login link is invalidated by its first use."""
    link = program.new_link()
    assert http(link)[0] == 303
    status, _, body = http(link)
    assert status == 403
    assert b"already used" in body


@pytest.mark.parametrize("code", ["", "wrong", "x" * 32])
def test_a_wrong_login_code_is_refused(program, code):
    """A login link with a made-up or missing code sets no cookie."""
    status, headers, _ = http(program.base + f"/login?once={code}")
    assert status == 403
    assert headers["Set-Cookie"] is None


@pytest.mark.parametrize("cookie", [None, "eventlib_observer=wrong", "eventlib_observer=\xe9t\xe9"])
@pytest.mark.parametrize("path", ["/", "/events", "/api/proc?id=1", "/static/app.js"])
def test_missing_or_wrong_cookie_is_refused(program, cookie, path):
    """The page, the event stream, the API and the assets refuse a missing or wrong session."""
    status, _, _ = http(program.base + path, cookie=cookie)
    assert status == 403


def test_event_stream_with_session_sends_the_tree(program):
    """With the session cookie, the event stream says hello and sends the tree."""
    cookie = login(program)
    request = urllib.request.Request(program.base + "/events", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        events = read_events(stream, 2)
    hello, frame = events
    assert hello[0] == "hello"
    assert hello[1]["actions"] is False
    assert hello[1]["csrf"] is None  # read-only: no CSRF token handed out
    labels = {row.get("label") for row in frame[1]["upsert"]}
    assert {"worker", "session[0]", "session[2]"} <= labels


def read_events(stream, count):
    events = []
    name = None
    for raw in stream:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, json.loads(line.removeprefix("data: "))))
            if len(events) == count:
                return events
    raise AssertionError("the stream ended early")


def test_wrong_host_header_is_refused(program):
    """A request whose Host is not the loopback address (DNS rebinding) is refused."""
    cookie = login(program)
    status, _, _ = http(program.base + "/", cookie=cookie, headers={"Host": "evil.example:80"})
    assert status == 421


def test_page_has_a_strict_content_security_policy(program):
    """Every response carries a CSP that allows only the page's own scripts and styles."""
    cookie = login(program)
    status, headers, _ = http(program.base + "/", cookie=cookie)
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert headers["Referrer-Policy"] == "no-referrer"


def test_actions_are_off_by_default(program):
    """A read-only page refuses actions even with a valid session."""
    cookie = login(program)
    status, _, body = http(
        program.base + "/api/action/kill",
        cookie=cookie,
        method="POST",
        data=b"proc=2",
        headers={"Origin": program.base},
    )
    assert status == 403
    assert b"web_actions=True" in body


def test_cli_prints_a_working_login_link(tmp_path):
    """python -m eventlib.observer PID --web prints a one-time link that logs in."""
    program = Program(tmp_path, 3, "--no-web")
    try:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "eventlib.observer",
                str(program.process.pid),
                "--web",
                "--state-dir",
                str(program.state_dir),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            cwd=ROOT,
        )
        assert completed.returncode == 0, completed.stderr
        link = completed.stdout.split()[-1]
        assert "/login?once=" in link
        status, headers, _ = http(link)
        assert status == 303
        assert "HttpOnly" in headers["Set-Cookie"]
    finally:
        program.stop()


@pytest.fixture(scope="module")
def actions_program(tmp_path_factory):
    """An observed program that enabled the web view's actions."""
    program = Program(tmp_path_factory.mktemp("actions"), 3, "--actions")
    yield program
    program.stop()


def hello_of(program, cookie):
    request = urllib.request.Request(program.base + "/events", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as stream:
        return read_events(stream, 1)[0][1]


def worker_row(program):
    """The worker's row from a snapshot taken through the observer endpoint."""
    from eventlib.observer._client import fetch, find_endpoint

    endpoint = find_endpoint(program.state_dir, program.process.pid)
    data = fetch(endpoint["host"], endpoint["port"], endpoint["token"])
    [app] = [sup for sup in data["supervisors"] if sup["path"] == "app"]
    [row] = [child for child in app["children"] if child["label"] == "worker"]
    return row


def post(program, action, body, *, cookie, csrf, origin):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    if origin is not None:
        headers["Origin"] = origin
    return http(
        program.base + f"/api/action/{action}",
        cookie=cookie,
        method="POST",
        data=body.encode(),
        headers=headers,
    )


@pytest.mark.parametrize(
    ("csrf", "origin"),
    [(None, "same"), ("wrong", "same"), ("right", None), ("right", "http://evil.example")],
)
def test_actions_need_the_csrf_token_and_same_origin(actions_program, csrf, origin):
    """An action without the session's CSRF token or from another origin is refused."""
    cookie = login(actions_program)
    hello = hello_of(actions_program, cookie)
    token = hello["csrf"] if csrf == "right" else csrf
    before = worker_row(actions_program)
    status, _, _ = post(
        actions_program,
        "kill",
        f"proc={before['proc_id']}",
        cookie=cookie,
        csrf=token,
        origin=actions_program.base if origin == "same" else origin,
    )
    assert status == 403
    assert worker_row(actions_program)["proc_id"] == before["proc_id"]


def test_kill_action_with_csrf_token_kills_the_proc(actions_program):
    """With the CSRF token and the same origin, kill ends the proc; its supervisor restarts it."""
    cookie = login(actions_program)
    csrf = hello_of(actions_program, cookie)["csrf"]
    before = worker_row(actions_program)
    status, _, body = post(
        actions_program,
        "kill",
        f"proc={before['proc_id']}",
        cookie=cookie,
        csrf=csrf,
        origin=actions_program.base,
    )
    assert status == 200, body
    after = wait_for(
        lambda: (row := worker_row(actions_program))["proc_id"] != before["proc_id"] and row,
        what="the restart",
    )
    assert after["restarts"] == before["restarts"] + 1


def test_restart_action_restarts_a_static_child(actions_program):
    """The restart action stops a static supervisor's child and starts it again."""
    cookie = login(actions_program)
    csrf = hello_of(actions_program, cookie)["csrf"]
    before = worker_row(actions_program)
    root_id = 1  # the program's root supervisor is its first proc
    status, _, body = post(
        actions_program,
        "restart",
        f"sup={root_id}&child=worker",
        cookie=cookie,
        csrf=csrf,
        origin=actions_program.base,
    )
    assert status == 200, body
    wait_for(
        lambda: worker_row(actions_program)["proc_id"] not in (None, before["proc_id"]),
        what="the new worker",
    )


@needs_browser
def test_kill_button_restarts_the_child_on_the_page(actions_program, browser):
    """With actions on, the page's kill button crashes the child and the page shows the restart."""
    from selenium.webdriver.common.by import By

    browser.get(actions_program.new_link())
    restarts = int(wait_for(lambda: child_cell(browser, "worker", "restarts"), what="the worker"))
    browser.find_element(By.CSS_SELECTOR, 'tr[data-label="worker"] td.actions button').click()
    wait_for(
        lambda: child_cell(browser, "worker", "restarts") == str(restarts + 1),
        what="the restart",
    )
