"""The app reaches the identity provider through HTTPS_PROXY (which docker-compose.yml passes
to it) and not for hosts in NO_PROXY: a real HTTP proxy listener records the CONNECT."""

from __future__ import annotations

import asyncio

import pytest

from app.accounts.oidc import OidcError, Provider
from app.core.config import Settings

ISSUER = "https://login.microsoftonline.example/tenant/v2.0"


async def _proxy(seen: list[str]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readline()).decode().strip())
        writer.write(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize("no_proxy", ["", "login.microsoftonline.example"])
async def test_identity_provider_is_reached_through_https_proxy(
        monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    seen: list[str] = []
    server = await _proxy(seen)
    port = server.sockets[0].getsockname()[1]
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    provider = Provider(Settings(oidc_issuer=ISSUER, oidc_client_id="rounds"))
    async with server:
        with pytest.raises(OidcError):
            await asyncio.wait_for(provider.load(), 20)
    if no_proxy:
        assert seen == []  # straight to the (unresolvable) host, never the proxy
    else:
        assert seen == ["CONNECT login.microsoftonline.example:443 HTTP/1.1"]
