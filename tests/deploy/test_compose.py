"""docker-compose.yml, read with a YAML parser (Docker cannot run here): the services, the
one-shot migration the app waits for, required variables that fail fast, no secret defaults,
named volumes, published ports."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = ("ROUNDS_SECRET_KEY", "ROUNDS_TURN_SECRET", "POSTGRES_PASSWORD",
           "ROUNDS_OIDC_CLIENT_SECRET")
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?P<op>:\?|:-|\?|-)?(?P<rest>[^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _text() -> str:
    return COMPOSE.read_text()


def test_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"caddy", "migrate", "app", "db", "coturn", "redis"} <= set(services)
    assert services["redis"]["profiles"] == ["redis", "workers"]
    assert all("profiles" not in services[s] for s in ("caddy", "migrate", "app", "db", "coturn"))


def test_media_workers_are_routed_relayed_and_drained(compose: dict[str, Any]) -> None:
    """Each media worker of the "workers" profile has a route in deploy/workers (its
    signalling path to its port), coturn relays to its media address, it holds no database
    or SSO secret, and compose gives it its drain time to stop."""
    services = compose["services"]
    workers = {name: s for name, s in services.items() if name.startswith("media-")}
    assert set(workers) == {"media-1", "media-2"}
    routes = {p.stem for p in (ROOT / "deploy" / "workers").glob("*.caddy")}
    assert routes == set(workers)
    coturn = services["coturn"]["command"]
    for name, worker in workers.items():
        assert worker["profiles"] == ["workers"]
        command = worker["command"]
        assert command[:2] == ["rounds", "media"]
        assert command[command.index("--id") + 1] == name
        port = command[command.index("--port") + 1]
        assert command[command.index("--bus") + 1] == "redis://redis:6379/0"
        route = (ROOT / "deploy" / "workers" / f"{name}.caddy").read_text()
        assert f"handle /rtc/{name} {{" in route and f"reverse_proxy {name}:{port} {{" in route
        assert f"--allowed-peer-ip={worker['networks']['media']['ipv4_address']}" in coturn
        env = worker["environment"]
        assert not {"ROUNDS_DATABASE_URL", "ROUNDS_OIDC_CLIENT_SECRET",
                    "ROUNDS_TURN_SECRET"} & set(env)
        assert worker["stop_grace_period"] == "${ROUNDS_MEDIA_DRAIN_SECONDS:-3600}s"
        assert env["ROUNDS_MEDIA_DRAIN_SECONDS"] == "${ROUNDS_MEDIA_DRAIN_SECONDS:-3600}"
        assert worker["depends_on"]["redis"]["condition"] == "service_started"
    assert services["app"]["environment"]["ROUNDS_MEDIA_BUS"] == "${ROUNDS_MEDIA_BUS:-}"
    caddy = services["caddy"]["volumes"]
    assert "./deploy/workers:/etc/caddy/workers:ro" in caddy


def test_a_second_api_replica_is_one_profile_away(compose: dict[str, Any]) -> None:
    """app-2 (the "replicas" profile) is the app again, reached at its own address, with
    caddy sharing requests between the two when ROUNDS_UPSTREAM names both."""
    services = compose["services"]
    second, app = services["app-2"], services["app"]
    assert second["profiles"] == ["replicas"] and second["command"] == app["command"]
    assert second["environment"]["ROUNDS_REPLICA_URL"] == "http://app-2:8000"
    assert app["environment"]["ROUNDS_REPLICA_URL"] == "${ROUNDS_REPLICA_URL:-}"
    assert {k: v for k, v in second["environment"].items() if k != "ROUNDS_REPLICA_URL"} \
        == {k: v for k, v in app["environment"].items() if k != "ROUNDS_REPLICA_URL"}
    assert second["environment"]["ROUNDS_PORT"] == "8000"
    assert "edge" in second["networks"] and "backend" in second["networks"]
    assert services["caddy"]["environment"]["ROUNDS_UPSTREAM"] == "${ROUNDS_UPSTREAM:-app:8000}"
    assert "reverse_proxy {$ROUNDS_UPSTREAM:app:8000} {" in (
        ROOT / "deploy" / "Caddyfile").read_text()


def test_app_waits_for_the_one_shot_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["rounds", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["app"]["command"] == ["rounds", "serve"]
    depends = services["app"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["db"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["app"]["environment"]["ROUNDS_ENV"] == "production"
    assert services["app"]["image"] == services["migrate"]["image"]
    assert services["app"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_postgres_has_a_healthcheck_and_a_named_volume(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volumes = set(compose["volumes"])
    for service in compose["services"].values():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source.startswith("./") or source in volumes, f"unnamed volume {mount}"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]


def test_required_variables_fail_fast_and_secrets_have_no_default() -> None:
    uses = [m.groupdict() for m in VARIABLE.finditer(_text())]
    assert uses
    first_use: dict[str, dict[str, str]] = {}
    for use in uses:
        first_use.setdefault(use["name"], use)
        if use["name"] in SECRETS and use["op"] in (":-", "-"):
            assert use["rest"] == "", f"{use['name']} has a default"
    for name in ("ROUNDS_SECRET_KEY", "ROUNDS_TURN_SECRET", "POSTGRES_PASSWORD", "ROUNDS_DOMAIN",
                 "ROUNDS_TURN_DOMAIN", "ROUNDS_WEB_IP", "ROUNDS_TURN_IP", "ROUNDS_TLS"):
        assert first_use[name]["op"] == ":?" and first_use[name]["rest"].strip(), name
    assert not re.search(r"(PASSWORD|SECRET|KEY)\s*[:=]\s*['\"]?[A-Za-z0-9]{8,}", _text())


def test_published_ports(compose: dict[str, Any]) -> None:
    services = compose["services"]
    caddy = services["caddy"]["ports"]
    assert any(p.endswith(":80:80/tcp") and "ROUNDS_WEB_IP" in p for p in caddy)
    assert any(p.endswith(":443:443/tcp") and "ROUNDS_WEB_IP" in p for p in caddy)
    for name in ("app", "db", "redis", "migrate"):
        assert "ports" not in services[name], f"{name} must not be published"


def test_coturn_binds_only_the_turn_address_on_the_host(compose: dict[str, Any]) -> None:
    coturn = compose["services"]["coturn"]
    assert coturn["network_mode"] == "host" and "ports" not in coturn
    command = coturn["command"]
    assert any(c.startswith("--listening-ip=${ROUNDS_TURN_IP:?") for c in command)
    assert "--relay-ip=${ROUNDS_TURN_IP}" in command
    conf = (ROOT / "deploy" / "turnserver.conf").read_text().splitlines()
    assert "listening-port=3478" in conf and "tls-listening-port=443" in conf
    assert "proc-user=nobody" in conf
    low = next(int(x.split("=")[1]) for x in conf if x.startswith("min-port="))
    high = next(int(x.split("=")[1]) for x in conf if x.startswith("max-port="))
    firewall = (ROOT / "docs" / "install.md").read_text()
    assert f"| users | TURN address | {low}–{high} | UDP |" in firewall
    assert "| users | TURN address | 443 | TCP |" in firewall
    assert "| users | TURN address | 3478 | UDP |" in firewall


def _default(value: str, name: str) -> str:
    """The default of a `${NAME:-default}` reference, which must be all of value."""
    match = re.fullmatch(rf"\$\{{{name}:-([^}}]+)\}}", value)
    assert match, f"{value!r} is not ${{{name}:-default}}"
    return match.group(1)


def test_coturn_relays_only_to_the_media_server(compose: dict[str, Any]) -> None:
    app_ip = _default(compose["services"]["app"]["networks"]["media"]["ipv4_address"],
                      "ROUNDS_MEDIA_IP")
    subnet = _default(compose["networks"]["media"]["ipam"]["config"][0]["subnet"],
                      "ROUNDS_MEDIA_SUBNET")
    assert ipaddress.ip_address(app_ip) in ipaddress.ip_network(subnet)
    command = compose["services"]["coturn"]["command"]
    assert f"--allowed-peer-ip=${{ROUNDS_MEDIA_IP:-{app_ip}}}" in command
    conf = (ROOT / "deploy" / "turnserver.conf").read_text().splitlines()
    for needed in ("use-auth-secret", "no-cli", "no-multicast-peers", "no-tcp-relay",
                   # every address, private or public: only the allowed peer gets through
                   "denied-peer-ip=0.0.0.0-255.255.255.255",
                   "denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"):
        assert needed in conf, needed
    assert not any(line.startswith(("static-auth-secret", "allowed-peer-ip")) for line in conf)
    assert "--static-auth-secret=${ROUNDS_TURN_SECRET:?" in " ".join(command)


def test_the_media_subnet_is_set_in_one_place() -> None:
    # Only docker-compose.yml's defaults name it; deploy/, scripts/ and the code never do.
    prefix = "172.31.250."
    files = [*(ROOT / "deploy").rglob("*"), *(ROOT / "app").rglob("*.py"),
             *(ROOT / "scripts").iterdir()]
    for path in (p for p in files if p.is_file()):
        lines = [x for x in path.read_text().splitlines() if not x.lstrip().startswith("#")]
        assert not any(prefix in x for x in lines), path
    text = _text()
    assert text.count("${ROUNDS_MEDIA_IP:-172.31.250.10}") == 2  # the app's address, coturn's peer
    assert text.count("${ROUNDS_MEDIA_SUBNET:-172.31.250.0/24}") == 1
    example = (ROOT / ".env.example").read_text()
    assert "# ROUNDS_MEDIA_SUBNET=172.31.250.0/24" in example
    assert "# ROUNDS_MEDIA_IP=172.31.250.10" in example


def test_browsers_are_offered_every_turn_transport_the_firewall_opens(
        compose: dict[str, Any]) -> None:
    urls = json.loads(compose["services"]["app"]["environment"]["ROUNDS_ICE_SERVERS"])
    firewall = (ROOT / "docs" / "install.md").read_text()
    offered = {
        "| users | TURN address | 3478 | UDP |": "turn:${ROUNDS_TURN_DOMAIN}:3478?transport=udp",
        "| users | TURN address | 3478 | TCP |": "turn:${ROUNDS_TURN_DOMAIN}:3478?transport=tcp",
        "| users | TURN address | 443 | TCP |": "turns:${ROUNDS_TURN_DOMAIN}:443?transport=tcp",
    }
    normalised = [re.sub(r"\$\{ROUNDS_TURN_DOMAIN[^}]*\}", "${ROUNDS_TURN_DOMAIN}", u)
                  for u in urls]
    for row, url in offered.items():
        assert (row in firewall) == (url in normalised), (row, url)
    assert len(normalised) == 3


def test_images_are_pinned_to_exact_versions(compose: dict[str, Any]) -> None:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name, service in compose["services"].items():
        image = service["image"]
        if "build" in service:  # ours, built here: tagged with the version it is built from
            assert image == f"${{ROUNDS_IMAGE:-rounds:{version}}}", name
            continue
        repository, _, tag = image.partition(":")
        tag = tag.split("@")[0]
        # major.minor.patch at least (caddy:2.8.4, postgres:15.8 is PostgreSQL's full version)
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?", tag), f"{name}: {image}"
        assert repository != "postgres" or tag.count(".") == 1, image
        assert repository == "postgres" or tag.count(".") >= 2, f"{name}: {image} floats"
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    for base in re.findall(r"^FROM (\S+)", dockerfile, re.M):
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), base


def test_the_app_gets_the_proxy_settings(compose: dict[str, Any]) -> None:
    env = compose["services"]["app"]["environment"]
    assert env["HTTPS_PROXY"] == "${HTTPS_PROXY:-}"
    no_proxy = _default(env["NO_PROXY"], "NO_PROXY").split(",")
    assert {"db", "app", "localhost", "127.0.0.1"} <= set(no_proxy)


def test_metrics_are_published_on_an_internal_address_only(compose: dict[str, Any]) -> None:
    ports = compose["services"]["caddy"]["ports"]
    assert "${ROUNDS_METRICS_IP:-127.0.0.1}:9180:9180/tcp" in ports
    install = (ROOT / "docs" / "install.md").read_text()
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert "| monitoring | metrics address (`ROUNDS_METRICS_IP`) | 9180 | TCP |" in install
    assert ":9180/metrics" in operations and "8000" not in install


def test_env_example_names_every_required_variable() -> None:
    example = (ROOT / ".env.example").read_text()
    required = {m["name"] for m in VARIABLE.finditer(_text()) if m["op"] == ":?"}
    for name in required:
        assert re.search(rf"^{name}=", example, re.M), f".env.example lacks {name}"
    for name in SECRETS[:3]:
        assert re.search(rf"^{name}=$", example, re.M), f"{name} must be empty in the example"


def test_container_logs_are_rotated(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        options = service["logging"]["options"]
        assert options["max-size"] and options["max-file"], name


def test_dockerfile_builds_from_what_exists_and_runs_unprivileged() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11." in text
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            source = line.split()[1]
            assert (ROOT / source).exists(), f"COPY {source}: no such path"
    final = text.rsplit("FROM ", 1)[1]
    assert "USER rounds" in final and 'CMD ["rounds", "serve"]' in final
    assert "ROUNDS_ENV=production" in final and "/healthz" in final
    # The app runs from the source tree (frontend/, migrations/ beside app/).
    for tree in ("app", "rtc", "migrations", "frontend"):
        assert f"COPY --from=build /src/{tree} ./{tree}" in final


def test_app_environment_names_real_settings(compose: dict[str, Any]) -> None:
    from app.core.config import Settings

    fields = set(Settings.model_fields)
    env = compose["services"]["app"]["environment"]
    for name in env:
        if name in ("HTTPS_PROXY", "NO_PROXY"):  # read by httpx, for the identity provider
            continue
        assert name.startswith("ROUNDS_") and name[7:].lower() in fields, name
    example = (ROOT / ".env.example").read_text()
    for name in re.findall(r"^#? ?(ROUNDS_[A-Z_]+)=", example, re.M):
        if name not in ("ROUNDS_DOMAIN", "ROUNDS_WEB_IP", "ROUNDS_TURN_DOMAIN", "ROUNDS_TURN_IP",
                        "ROUNDS_TLS", "ROUNDS_IMAGE", "ROUNDS_MEDIA_SUBNET", "ROUNDS_MEDIA_IP",
                        "ROUNDS_MEDIA_1_IP", "ROUNDS_MEDIA_2_IP", "ROUNDS_METRICS_IP",
                        "ROUNDS_UPSTREAM"):
            assert name[7:].lower() in fields, name


def test_coturn_user_database_is_writable_after_dropping_root(compose: dict[str, Any]) -> None:
    conf = (ROOT / "deploy" / "turnserver.conf").read_text().splitlines()
    userdb = next(x.split("=", 1)[1] for x in conf if x.startswith("userdb="))
    tmpfs = compose["services"]["coturn"]["tmpfs"]
    assert any(t.startswith(f"{Path(userdb).parent}:") and "uid=65534" in t for t in tmpfs)


def test_the_relay_capacity_in_install_md_follows_from_the_port_range() -> None:
    conf = (ROOT / "deploy" / "turnserver.conf").read_text()
    low = int(re.search(r"^min-port=(\d+)", conf, re.M)[1])  # type: ignore[index]
    high = int(re.search(r"^max-port=(\d+)", conf, re.M)[1])  # type: ignore[index]
    install = (ROOT / "docs" / "install.md").read_text()
    ports = int(re.search(r"The relay range holds (\d+) ports", install)[1])  # type: ignore[index]
    people = int(re.search(r"at least (\d+) people connected at once",  # type: ignore[index]
                           install)[1])
    compose = yaml.safe_load(COMPOSE.read_text())
    offered = len(json.loads(compose["services"]["app"]["environment"]["ROUNDS_ICE_SERVERS"]))
    # Two peer connections per participant, each up to one relay port per TURN URL offered.
    assert ports == high - low + 1 and people == ports // (2 * offered)
    assert f"two to {2 * offered} ports per person" in install
