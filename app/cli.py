"""The `rounds` command: serve, migrate, demo, create-admin, media."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import getpass
import logging
import os
import secrets
import socket
import sys
from datetime import timedelta

from sqlalchemy import select

from app.core.config import DEFAULT_SECRET, Settings
from app.core.db import create_engine, db_factory, transaction, utcnow
from app.core.migrate import upgrade


def _migrate(settings: Settings) -> None:
    upgrade(settings.db_url)
    print("database is at the latest migration", file=sys.stderr)


def _serve(settings: Settings) -> None:
    import uvicorn

    from app.main import create_app
    from app.media import LocalMedia
    from app.ops.logging import configure_logging
    from app.workers import EmbeddedMedia

    configure_logging(settings)
    if settings.secret_key.get_secret_value() == DEFAULT_SECRET:
        logging.getLogger("rounds").warning(
            "the development secret is in use: set ROUNDS_SECRET_KEY (production refuses it)")
    _migrate(settings)
    if settings.media_workers is None and not settings.media_bus:  # one worker per core
        settings = settings.model_copy(update={"media_workers": len(os.sched_getaffinity(0))})
    print(f"Rounds is serving at {settings.public_url}", file=sys.stderr)
    app = create_app(settings)

    class Server(uvicorn.Server):
        """On SIGTERM everyone in a room hears `shutdown` (close 1001) and the live sessions
        save, before uvicorn closes what sockets are left (1012)."""

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            media = app.state.media
            if isinstance(media, LocalMedia | EmbeddedMedia):  # (rooms on other workers go on)
                await media.close()
            await super().shutdown(sockets)

    # No access log: it would carry IP addresses and paths. Frames up to 4 MiB are read, so one
    # over the protocol's 1 MiB gets its `too_large` error; larger ones close the socket (1009).
    config = uvicorn.Config(app, host=settings.host, port=settings.port, access_log=False,
                            log_config=None, ws_max_size=4 << 20, proxy_headers=True)
    with contextlib.suppress(KeyboardInterrupt):  # (SIGINT, raised again at exit: as uvicorn.run)
        Server(config).run()


async def _create_admin(settings: Settings, email: str, name: str, password: str) -> None:
    from app.accounts.service import create_account

    engine = create_engine(settings.db_url)
    try:
        async for db in transaction(db_factory(engine)):
            await create_account(
                db, email=email, display_name=name, password=password, is_admin=True
            )
    finally:
        await engine.dispose()


async def _demo(settings: Settings) -> None:
    """A demo group with a facilitator, a session starting soon and a member invite."""
    from app.accounts.models import Account
    from app.accounts.service import create_account
    from app.core.security import hash_password
    from app.groups.models import Group
    from app.groups.service import create_group
    from app.invites.models import InviteKind
    from app.invites.service import create_invite
    from app.members.models import Role
    from app.sessions.service import create_session, next_session

    email = "facilitator@example.org"
    password = secrets.token_urlsafe(12)
    engine = create_engine(settings.db_url)
    try:
        async for db in transaction(db_factory(engine)):
            account = await db.scalar(select(Account).where(Account.email == email))
            if account is None:
                account = await create_account(
                    db,
                    email=email,
                    display_name="Dr Demo Facilitator",
                    password=password,
                    is_admin=True,
                )
            else:
                account.password_hash = hash_password(password)
            group = await db.scalar(
                select(Group).where(
                    Group.name == "Demo reflective group", Group.archived_at.is_(None)
                )
            )
            if group is None:
                group = await create_group(
                    db,
                    fields={
                        "name": "Demo reflective group",
                        "cohort": "Foundation year 1",
                        "description": "A weekly peer-support group in protected time.",
                    },
                    facilitator=account,
                )
            if await next_session(db, group.id) is None:
                start = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=15)
                await create_session(
                    db,
                    group,
                    scheduled_start=start,
                    duration_minutes=60,
                    title="Check-in and Balint case",
                )
            _, token = await create_invite(
                db,
                group,
                role=Role.member,
                kind=InviteKind.group,
                max_uses=12,
                days=settings.invite_days,
                label="demo",
                created_by=account.id,
            )
    finally:
        await engine.dispose()
    base = settings.public_url.rstrip("/")
    print(f"""
Demo group ready.
  Facilitator sign-in: {base}/   email {email}   password {password}
  Member invite link:  {base}/join#{token}
""")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rounds", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="migrate the database, then serve")
    sub.add_parser("migrate", help="bring the database schema to the latest migration")
    sub.add_parser("demo", help="create a demo group and print its sign-in and invite link")
    sub.add_parser("purge", help="delete what is past its retention period (run it daily)")
    media = sub.add_parser("media", help="run a media worker: rooms driven over the bus "
                                         "(docs/architecture.md, \"Many media workers\")")
    media.add_argument("--id", required=True, help="the worker's id (join tokens name it)")
    media.add_argument("--bus", required=True, metavar="URL",
                       help="redis://host:port/db (or unix:PATH, from `rounds serve`)")
    media.add_argument("--bus-prefix", default="", help="prefix of the bus's Redis keys")
    media.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a worker serves the network
    where = media.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int)
    where.add_argument("--uds", metavar="PATH", help="serve on this Unix socket instead")
    media.add_argument("--address", default="",
                       help="host:port where the proxy reaches it (default: --host:--port)")
    media.add_argument("--capacity", type=int, default=1000,
                       help="streams it forwards at most (one subscriber's copy of one stream)")
    media.add_argument("--drain", type=float, metavar="SECONDS",
                       help="on SIGTERM, keep live rooms this long at most before handing them "
                            "over (default: ROUNDS_MEDIA_DRAIN_SECONDS)")
    admin = sub.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable, not a prompt",
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        sys.exit(f"rounds: refusing to start: {exc}")
    if args.command == "serve":
        _serve(settings)
    elif args.command == "migrate":
        _migrate(settings)
    elif args.command == "demo":
        _migrate(settings)
        asyncio.run(_demo(settings))
    elif args.command == "media":  # no database: only the settings for rtc/
        from app.media import rtc_config
        from app.ops.logging import configure_logging
        from app.ops.router import worker_metrics
        from rtc.worker import serve

        configure_logging(settings)
        config = dataclasses.replace(rtc_config(settings), worker=args.id)
        serve(config, args.bus, host=args.host, port=args.port or 0, uds=args.uds,
              prefix=args.bus_prefix,
              address=args.address, capacity=args.capacity,
              drain=settings.media_drain_seconds if args.drain is None else args.drain,
              routes=lambda server: [worker_metrics(server, args.id)])
    elif args.command == "purge":
        from app.ops.retention import main as purge

        sys.exit(purge(settings))
    elif args.command == "create-admin":
        password = os.environ.get(args.password_env, "") if args.password_env else getpass.getpass()
        if len(password) < 12:
            sys.exit("rounds: the password must have at least 12 characters")
        _migrate(settings)
        asyncio.run(_create_admin(settings, args.email, args.name, password))
        print(f"admin {args.email} created")


if __name__ == "__main__":
    main()
