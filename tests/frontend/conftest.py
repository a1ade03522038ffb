"""The real app served by uvicorn on a free loopback port, a real Chromium, and helpers.

The database is a fresh SQLite file built by the migrations; an admin account is made with the
`rounds create-admin` command. Browsers are Debian's Chromium with fake camera and microphone.
Without Chromium (or Node's node_modules for the type check) the tests skip with a reason;
under CI (`CI=true`) they fail instead, like the rest of the suite (`unavailable()`).

A test must not depend on the day it runs. To run the browser tests as if at another moment, set
ROUNDS_TEST_NOW to a local (London) time, e.g. `ROUNDS_TEST_NOW=2026-12-07T09:00` for a Monday
morning or `2026-12-31T23:30` for a year's end: the app server's and Chromium's clocks move by one
offset with libfaketime (`apt-get install faketime`), and `now()` below, which the tests use for
the times they send, moves with them. Time goes on from there as usual. Unset (as in CI), every
clock is the real one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser import CHROMIUM
from tests.browser import CHROMIUM_ARGS as BASE_ARGS
from tests.conftest import unavailable
from tests.live import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [*BASE_ARGS, "--lang=en-GB"]  # date and time inputs as a UK browser shows them
SHOTS = ROOT / "artifacts" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

ADMIN_EMAIL = "admin@trust.example"
ADMIN_PASSWORD = "correct horse battery staple"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}
LAPTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
TIMEZONE = "Europe/London"
LIBFAKETIME = Path(
    os.environ.get("ROUNDS_LIBFAKETIME", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
)


def _clock_offset() -> timedelta:
    """How far ROUNDS_TEST_NOW (a London time unless it names its zone) is from now, to the
    second; zero when it is unset."""
    wanted = os.environ.get("ROUNDS_TEST_NOW", "").strip()
    if not wanted:
        return timedelta(0)
    target = datetime.fromisoformat(wanted)
    if target.tzinfo is None:
        target = target.replace(tzinfo=ZoneInfo(TIMEZONE))
    return timedelta(seconds=round((target - datetime.now(UTC)).total_seconds()))


CLOCK_OFFSET = _clock_offset()


def now(tz: tzinfo = UTC) -> datetime:
    """The tests' "now": the real time, moved by ROUNDS_TEST_NOW as the app's and Chromium's are."""
    return (datetime.now(UTC) + CLOCK_OFFSET).astimezone(tz)


def moved_clock_env() -> dict[str, str]:
    """Environment that moves a process's clock by CLOCK_OFFSET (nothing when it is zero)."""
    if not CLOCK_OFFSET:
        return {}
    if not LIBFAKETIME.exists():
        pytest.fail(f"ROUNDS_TEST_NOW needs {LIBFAKETIME} (apt-get install faketime)")
    preload = " ".join(p for p in (str(LIBFAKETIME), os.environ.get("LD_PRELOAD", "")) if p)
    # A relative offset, so every process's clock agrees. The monotonic clock moves too: with
    # FAKETIME_DONT_FAKE_MONOTONIC=1 Chromium takes tens of seconds to load a page.
    return {"LD_PRELOAD": preload, "FAKETIME": f"{round(CLOCK_OFFSET.total_seconds()):+d}"}


def _assert_moved(label: str, seen: datetime) -> None:
    """A moved clock really moved (libfaketime took), to within a minute of `now()`."""
    assert abs(seen - now()) < timedelta(minutes=1), f"{label} thinks it is {seen}, not {now()}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: runs the pages in a real Chromium")




@dataclass
class Server:
    url: str
    db_path: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def sql(self, statement: str, *args: object) -> None:
        """Change the database behind the app's back (to make an invite expire, say)."""
        with sqlite3.connect(self.db_path) as conn:
            conn.execute(statement, args)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(tmp_path_factory)


def serve(tmp_path_factory: pytest.TempPathFactory, *, admin: bool = True, replica: bool = False,
          port: int | None = None, **settings: str) -> Iterator[Server]:
    """Run the app with these extra environment settings (e.g. an SMTP host), until closed.
    ``admin``: make the admin account first (not for a second replica on the same database);
    ``replica``: one of several API replicas (its own address as ``ROUNDS_REPLICA_URL``);
    ``port``: listen there (a replica started again), else on a free port."""
    data = tmp_path_factory.mktemp("rounds-data")
    db_path = data / "rounds.db"
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ROUNDS_DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "ROUNDS_DATA_DIR": str(data),
        "ROUNDS_PUBLIC_URL": url,
        "ROUNDS_SECRET_KEY": "frontend-tests-" + "s" * 32,
        "ROUNDS_ENV": "development",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        **moved_clock_env(),
        **({"ROUNDS_REPLICA_URL": url} if replica else {}),
        **settings,
    }
    # `create-admin` runs the migrations first, then makes the account.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            *(("create-admin", "--email", ADMIN_EMAIL, "--name", "Dr Ada Admin",
               "--password-env", "ADMIN_PASSWORD") if admin else ("migrate",)),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    log = data / "uvicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v1/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start:\n{log.read_text()}")
            time.sleep(0.2)
        if CLOCK_OFFSET:
            date = httpx.get(f"{url}/api/v1/openapi.json", timeout=5).headers["date"]
            _assert_moved("the app server", parsedate_to_datetime(date))
        yield Server(url=url, db_path=db_path, log=log, process=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Api(httpx.Client):
    """An API client with its own cookies that sends the CSRF header as the pages do."""

    def __init__(self, base: str) -> None:
        super().__init__(
            base_url=f"{base}/api/v1",
            timeout=10,
            event_hooks={"request": [self._csrf], "response": [self._raise]},
        )

    def _csrf(self, request: httpx.Request) -> None:
        token = self.cookies.get("rounds_csrf")
        if token and request.method not in {"GET", "HEAD"}:
            request.headers["x-csrf-token"] = token

    @staticmethod
    def _raise(response: httpx.Response) -> None:
        if response.is_error:
            response.read()
            raise AssertionError(
                f"{response.request.method} {response.request.url}: "
                f"{response.status_code} {response.text}"
            )


@pytest.fixture
def admin_api(server: Server) -> Iterator[Api]:
    api = Api(server.url)
    api.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    yield api
    api.close()


@dataclass
class World:
    """A group made through the API: the admin facilitates it; helpers make invites."""

    api: Api
    group: dict[str, object]
    session: dict[str, object] | None = None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def gid(self) -> str:
        return str(self.group["id"])

    def invite(self, label: str, **body: object) -> tuple[str, str]:
        """A new invite: (its id, its link)."""
        created = self.api.post(f"/groups/{self.gid}/invites", json={"label": label, **body}).json()
        return created["id"], created["link"]


def make_world(api: Api, name: str, *, session_in_minutes: int | None = 90) -> World:
    me = api.get("/auth/me").json()
    group = api.post(
        "/groups",
        json={
            "name": name,
            "cohort": "Foundation year 2",
            "facilitator_id": me["id"],
            "description": "A fortnightly reflective group in protected teaching time.",
        },
    ).json()
    world = World(api=api, group=group)
    if session_in_minutes is not None:
        start = (now() + timedelta(minutes=session_in_minutes)).replace(
            second=0, microsecond=0
        )
        world.session = api.post(
            f"/groups/{world.gid}/sessions",
            json={
                "scheduled_start": start.isoformat(),
                "duration_minutes": 90,
                "title": "Check-in and Balint case",
            },
        ).json()
    return world


@pytest.fixture(scope="module")  # the sync API runs an event loop: stop it before async tests
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"Chromium not found at {CHROMIUM}; browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed; browser tests skipped")
    with sync_playwright() as pw:
        moved = moved_clock_env()
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            **({"env": {**os.environ, **moved}} if moved else {}),
        )
        if moved:
            probe = b.new_page()
            ms = probe.evaluate("Date.now()")
            _assert_moved("Chromium", datetime.fromtimestamp(ms / 1000, UTC))
            probe.close()
        yield b
        b.close()


def new_context(
    browser: Browser, server: Server, form: dict[str, Any], **extra: Any
) -> BrowserContext:
    """A fresh browser profile (its own cookies) in a phone or laptop shape."""
    context = browser.new_context(
        base_url=server.url,
        timezone_id=TIMEZONE,
        **form,
        **{"locale": "en-GB", **extra},  # a test may ask for another browser language
    )
    context.grant_permissions(["camera", "microphone"], origin=server.url)
    context.set_default_timeout(10_000)
    return context


def wait_until(page: Page, predicate: str, arg: Any = None, timeout: float = 20.0) -> None:
    """Call a page function (async or not) until it returns something true, ``timeout``
    seconds at most. (Playwright's ``wait_for_function`` takes the Promise an async function
    returns for a true value at once, so it cannot wait on one.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {predicate}")
        page.wait_for_timeout(100)


def watch_console(page: Page) -> list[str]:
    """Collect console errors and uncaught exceptions (a CSP refusal shows up here)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/api/" not in r.url
            else None
        ),
    )
    return problems


def shoot(page: Page, name: str, *, docs: bool = False) -> Path:
    """Save a screenshot to artifacts/; copy it to docs/ when asked and (re)wanted there."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    target = DOCS_SHOTS / path.name
    if docs and (os.environ.get("ROUNDS_UPDATE_DOCS_SCREENSHOTS") == "1" or not target.exists()):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return path


def axe_check(page: Page, label: str) -> None:
    """Run axe-core on the page; fail on any serious or critical violation."""
    if not AXE.exists():
        unavailable("node_modules/axe-core is missing (run `npm ci`); accessibility checks skipped")
    # the page's words come from the catalogues once its script has run: check what a person
    # reads, not the page before it (an empty title or button is what axe would find then)
    page.wait_for_function("""() => document.title.trim() !== '' && [...document.querySelectorAll(
        '[data-t]')].every((el) => el.textContent.trim() !== '')""", timeout=10_000)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values:
          ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    if result:  # the lesser ones are kept for reading, not failed on
        report = ROOT / "artifacts" / "axe.txt"
        report.parent.mkdir(parents=True, exist_ok=True)
        with report.open("a") as out:
            for v in result:
                out.write(f"{label}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}\n")
    bad = [v for v in result if v["impact"] in {"serious", "critical"}]
    assert not bad, f"{label}: axe violations: {bad}"


def doctor_joins(page: Page, link: str, name: str) -> None:
    """Open an invite link and join with a name; ends on the device check page."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    page.goto(link)
    field = page.get_by_label("The name the group will see")
    try:
        field.wait_for(state="visible")
    except PlaywrightError:  # say what the doctor saw instead of the form
        shown = page.evaluate("""() => [document.getElementById('title')?.textContent,
            document.getElementById('problem')?.textContent]""")
        raise AssertionError(f"the join page did not offer its form; it said {shown}") from None
    field.fill(name)
    page.get_by_role("button", name="Join the group").click()
    expect(page.get_by_role("heading", name="Check your camera and microphone")).to_be_visible()


def agree_and_wait(page: Page, group_id: str) -> None:
    """From anywhere, go to the group's lobby and agree to the ground rules."""
    from playwright.sync_api import expect

    page.goto(f"/lobby?group={group_id}")
    page.get_by_label("I will keep these ground rules").check()
    page.get_by_role("button", name="Continue to the lobby").click()
    expect(page.locator("#state")).not_to_be_empty()


FILL_ROOM = """async () => {
  const tiles = await import('/static/tiles.js');
  const round = await import('/static/roundview.js');
  const names = ['Amira Haddad', 'Ben Okafor', 'Chloe Wright', 'Dev Sharma', 'Eilidh Ross',
    'Femi Adeyemi', 'Grace Liu', 'Hamza Ali', 'Isla Murray', 'Jonah Price', 'Kasia Nowak'];
  names.forEach((name, i) => tiles.setTile({id: 'p' + i, name, muted: i % 4 === 1,
    cameraOff: i % 5 === 2}));
  const now = Date.now() / 1000;
  const clock = (left, allotted) => ({deadline: now + left, paused: false, remaining: left,
    overrun: 0, allotted});
  const stage = round.showState({version: 1, server_time: now, controller: null, lead: null,
    locked: false, muted: [], audible: ['p0'], phases: ['Check-in'], template: 'Check-in round',
    phase: {index: 0, status: 'running', kind: 'round', title: 'Check-in round', presenter: null,
      prompt: 'How are you arriving today?', floor: 'speaker', layout: 'spotlight',
      ...clock(600, 900)},
    round: {status: 'running', current: 'p0', speaker: 'p0', up_next: 'p1', turn_length: 120,
      turns: names.map((n, i) => ({participant_id: 'p' + i, status: i ? 'queued' : 'speaking',
        passes: 0, connected: true})), grace_deadline: null, ...clock(83, 120)},
    hands: {raised: ['p3'], floor: null}},
    {me: 'self', nameOf: (id) => names[Number(id.slice(1))] || 'You',
     serverNow: () => Date.now() / 1000});
  tiles.setLayout(stage.layout);
  names.forEach((n, i) => tiles.setTile({id: 'p' + i, hasFloor: i === 0, hand: i === 3}));
}"""


def enter_room(page: Page, session_id: str | None = None) -> None:
    """Through the lobby into the room: open the session's lobby (unless the page is already on
    its way there), agree to the ground rules, go in."""
    if session_id is not None:
        page.goto(f"/lobby?session={session_id}")
    page.get_by_label("I will keep these ground rules").check()
    page.get_by_role("button", name="Continue to the lobby").click()
    page.get_by_role("link", name="Enter the room").click()


def admin_signs_in(page: Page) -> None:
    """Sign in as the admin through the sign-in page."""
    from playwright.sync_api import expect

    page.goto("/signin")
    page.get_by_label("Email address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your groups")).to_be_visible()


def use_plan(page: Page, *template_ids: str) -> None:
    """In the room, the facilitator makes the session's plan from these templates, in order."""
    from playwright.sync_api import expect

    proposed = page.get_by_role("list", name="Proposed plan")
    expect(proposed.get_by_role("listitem").first).to_be_visible()
    while proposed.get_by_role("listitem").count():
        proposed.get_by_role("button").first.click()
    for template_id in template_ids:
        page.locator("#add-template").select_option(template_id)
        page.get_by_role("button", name="Add to the plan", exact=True).click()
    expect(proposed.get_by_role("listitem")).to_have_count(len(template_ids))
    page.get_by_role("button", name="Use this plan", exact=True).click()
