"""Counts for Prometheus, in its text format, without a client library.

One process-wide registry, ``REGISTRY``, that any part of the service adds to::

    from app.ops.metrics import REGISTRY
    packets = REGISTRY.counter("rounds_rtc_forwarded_packets_total", "RTP packets forwarded",
                               labels=("kind",))
    packets.inc(kind="video")
    REGISTRY.gauge_function("rounds_rooms", "Rooms open now", lambda: len(hub.rooms))

Metrics are counts only. A label value must come from a small fixed set (a route template, a
status class, a media kind): never a name, token, id or IP address. A metric refuses more than
``MAX_SERIES`` label combinations, so a mistake cannot grow it without bound.

The ``HttpMetrics`` middleware counts requests by route template and status class, and
unhandled errors; it also writes one log line per request without path or client address.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.logging import Safe

MAX_SERIES = 2000
"""Route templates × methods × status classes stay well below this as the API grows (about
100 operations in 2026); ids or names in a label would pass it within minutes."""
log = logging.getLogger("rounds.http")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


class Metric:
    """A family of series of one kind (counter or gauge), keyed by label values."""

    kind = "untyped"

    def __init__(self, name: str, help: str, labels: Iterable[str] = ()) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def _key(self, values: dict[str, str]) -> tuple[str, ...]:
        if set(values) != set(self.labels):
            raise ValueError(f"{self.name} takes labels {self.labels}, got {tuple(values)}")
        return tuple(str(values[label]) for label in self.labels)

    def _add(self, amount: float, values: dict[str, str]) -> None:
        key = self._key(values)
        with self._lock:
            if key not in self._values and len(self._values) >= MAX_SERIES:
                raise ValueError(f"{self.name} has {MAX_SERIES} series: label values too varied")
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        """The current value of one series (0 when never touched)."""
        return self._values.get(self._key(labels), 0.0)

    def samples(self) -> list[tuple[tuple[str, ...], float]]:
        with self._lock:
            return sorted(self._values.items())

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {_escape(self.help)}", f"# TYPE {self.name} {self.kind}"]
        for key, value in self.samples():
            if key:
                pairs = ",".join(f'{k}="{_escape(v)}"'
                                 for k, v in zip(self.labels, key, strict=True))
                lines.append(f"{self.name}{{{pairs}}} {_number(value)}")
            else:
                lines.append(f"{self.name} {_number(value)}")
        return lines


class Counter(Metric):
    """Only goes up."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        self._add(amount, labels)


class Gauge(Metric):
    """Goes up and down (rooms open, participants connected)."""

    kind = "gauge"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self._add(amount, labels)

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        self._add(-amount, labels)

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def set_all(self, values: dict[str, float]) -> None:
        """Every series of a gauge with one label, at once: a label value missing from
        ``values`` (a media worker that is gone) leaves the output."""
        if len(self.labels) != 1 or len(values) > MAX_SERIES:
            raise ValueError(f"{self.name}: set_all takes one label and at most {MAX_SERIES}")
        with self._lock:
            self._values = {(str(k),): float(v) for k, v in values.items()}


class GaugeFunction(Metric):
    """A gauge read from a function at scrape time (e.g. ``len(hub.rooms)``); a reader that
    returns None leaves the series out (nothing to report yet)."""

    kind = "gauge"

    def __init__(self, name: str, help: str, read: Callable[[], float | None]) -> None:
        super().__init__(name, help)
        self.read = read

    def samples(self) -> list[tuple[tuple[str, ...], float]]:
        try:
            value = self.read()
        except Exception:  # noqa: BLE001 - a broken reader must not break the scrape
            log.warning("metric reader failed", extra={"metric": self.name})
            return []
        return [] if value is None else [((), float(value))]


class CounterFunction(GaugeFunction):
    """A counter read from a function at scrape time (kept by another process, say)."""

    kind = "counter"


class Registry:
    """Named metrics; registering a name twice returns the same metric."""

    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}
        self._lock = threading.Lock()

    def _get(self, name: str, make: Callable[[], Metric], kind: type[Metric]) -> Metric:
        with self._lock:
            metric = self._metrics.get(name)
            if metric is None:
                metric = self._metrics[name] = make()
            elif type(metric) is not kind:
                raise ValueError(f"{name} is already registered as a {metric.kind}")
            return metric

    def counter(self, name: str, help: str, labels: Iterable[str] = ()) -> Counter:
        metric = self._get(name, lambda: Counter(name, help, labels), Counter)
        assert isinstance(metric, Counter)
        return metric

    def gauge(self, name: str, help: str, labels: Iterable[str] = ()) -> Gauge:
        metric = self._get(name, lambda: Gauge(name, help, labels), Gauge)
        assert isinstance(metric, Gauge)
        return metric

    def gauge_function(self, name: str, help: str,
                       read: Callable[[], float | None]) -> GaugeFunction:
        """Register (or replace the reader of) a gauge computed at scrape time."""
        metric = self._get(name, lambda: GaugeFunction(name, help, read), GaugeFunction)
        assert isinstance(metric, GaugeFunction)
        metric.read = read
        return metric

    def counter_function(self, name: str, help: str,
                         read: Callable[[], float | None]) -> CounterFunction:
        """Register (or replace the reader of) a counter computed at scrape time."""
        metric = self._get(name, lambda: CounterFunction(name, help, read), CounterFunction)
        assert isinstance(metric, CounterFunction)
        metric.read = read
        return metric

    def render(self) -> str:
        """The registry in Prometheus text exposition format 0.0.4."""
        with self._lock:
            metrics = sorted(self._metrics.values(), key=lambda m: m.name)
        return "\n".join(line for m in metrics for line in m.render()) + "\n"


REGISTRY = Registry()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

HTTP_REQUESTS = REGISTRY.counter(
    "rounds_http_requests_total", "HTTP requests by route template, method and status class",
    labels=("route", "method", "status"))
ERRORS = REGISTRY.counter(
    "rounds_errors_total", "Errors by kind (http_5xx: a server error response; unhandled: an "
    "exception that reached the top)", labels=("kind",))
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/groups/{group_id}`), never the raw path.

    The route in the scope may know only its path inside an included router (FastAPI keeps the
    original route), so the literal prefix is taken from the raw path: the segments before the
    ones the template covers. Path parameters never reach the label.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str) or not template.startswith("/"):
        return "unmatched"
    if ":path}" in template or template.endswith("{path}"):
        return template
    raw = str(scope.get("root_path", "")) + str(scope.get("path", ""))
    raw_parts, own = raw.split("/")[1:], template.split("/")[1:]
    if len(raw_parts) < len(own):
        return "unmatched"
    prefix = raw_parts[: len(raw_parts) - len(own)]
    return "".join(f"/{p}" for p in prefix) + template


class HttpMetrics:
    """Count every HTTP request and log it without its path, query or client address."""

    def __init__(self, app: ASGIApp, registry: Registry = REGISTRY) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        except BaseException:
            ERRORS.inc(kind="unhandled")
            raise
        finally:
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            HTTP_REQUESTS.inc(route=route, method=method, status=f"{status // 100}xx")
            if status >= 500:
                ERRORS.inc(kind="http_5xx")
            log.info("request", extra={
                "route": route, "method": Safe(method), "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1)})


def _reader(counts: dict[str, int], key: str) -> Callable[[], float]:
    return lambda: float(counts.get(key, 0))


def watch_media(server: object) -> None:
    """Gauges of the media server's rooms and participants (read at scrape time)."""
    hub = getattr(server, "hub", None)
    if hub is None:
        return

    def rooms() -> float:
        return float(len(hub.rooms))

    def participants() -> float:
        return float(sum(len(getattr(room, "members", ())) for room in list(hub.rooms.values())))

    REGISTRY.gauge_function("rounds_rooms", "Rooms open on the media server", rooms)
    REGISTRY.gauge_function("rounds_participants", "Participants connected to rooms",
                            participants)
    overload = getattr(hub, "overload", None)
    if overload is not None:
        REGISTRY.gauge_function(
            "rounds_media_overload_level",
            "How much video the media server sheds because it cannot keep up (0: none, 4: all)",
            lambda: float(overload.level))
        REGISTRY.gauge_function(
            "rounds_media_socket_backlog",
            "The media server's fullest UDP receive buffer, as a share (1: it dropped datagrams)",
            lambda: float(overload.backlog))
        REGISTRY.gauge_function(
            "rounds_media_loop_lag_seconds",
            "How late the media server's event loop ran its latest timer",
            lambda: float(overload.lag))
    forwarder = getattr(hub, "forwarder", None)
    if forwarder is None:
        return
    for kind in ("audio", "video"):
        REGISTRY.gauge_function(
            f"rounds_forwarded_{kind}_packets",
            f"RTP {kind} packets forwarded to subscribers since start (never decoded)",
            _reader(forwarder.forwarded, kind))
        REGISTRY.gauge_function(
            f"rounds_received_{kind}_packets",
            f"RTP {kind} packets received from publishers since start",
            _reader(forwarder.received, kind))
    REGISTRY.gauge_function("rounds_forwarder_errors", "Packets the forwarder failed to handle",
                            lambda: float(forwarder.errors))


def merged(expositions: dict[str, str], skip: Iterable[str]) -> str:
    """Other processes' metrics (the embedded default's media workers: source -> its text
    exposition), family by family, each sample labelled ``worker`` with its source; the
    families named in ``skip`` (this process's own), and any already labelled by worker, left
    out."""
    families: dict[str, list[str]] = {}
    left_out = set(skip)
    for source, text in expositions.items():
        name, first = "", False
        for line in text.splitlines():
            if line.startswith("# HELP "):
                name = line.split(" ", 3)[2]
                first = name not in families and name not in left_out
                if first:
                    families[name] = [line]
            elif line.startswith("# TYPE "):
                if first:
                    families[name].append(line)
            elif line and not line.startswith("#") and name in families:
                metric, value = line.split(" ", 1)
                if 'worker="' in metric:  # (a worker's own name: the label says it already)
                    del families[name]
                    left_out.add(name)
                    continue
                label = f'worker="{_escape(source)}"'
                metric = (metric.replace("{", "{" + label + ",", 1) if "{" in metric
                          else f"{metric}{{{label}}}")
                families[name].append(f"{metric} {value}")
    return "".join(line + "\n" for lines in families.values() for line in lines)


def family_names(exposition: str) -> set[str]:
    """The metric families in a text exposition."""
    return {line.split(" ", 3)[2] for line in exposition.splitlines()
            if line.startswith("# HELP ")}
