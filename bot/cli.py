"""The `phosphore` command line: run, check-config, migrate, export."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import importlib
import logging
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings
from bot.core.collector import pace_for_bursts
from bot.logs import configure_logging
from bot.store.database import DatabaseError

if TYPE_CHECKING:
    from bot.app import App

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
ADAPTERS = ("console", "slack", "discord")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand and option, with help."""
    parser = argparse.ArgumentParser(
        prog="phosphore", description="Polls, idea wall and event sign-up for Slack, Discord and the terminal."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _add_common_options(parser, None)
    # After a subcommand too (`phosphore run --db x.db`); SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    _add_common_options(common, argparse.SUPPRESS)
    commands = _Subcommands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"), common)

    run = commands.add_parser("run", help="start the bot")
    run.add_argument(
        "--adapter", help="console, slack, discord or slack,discord (default: from the tokens set, else console)"
    )

    sync = commands.add_parser("discord-sync", help="register the Discord slash commands (globally, or on one server)")
    sync.add_argument("--guild", type=int, help="a server id: register there only, instantly (for testing)")

    commands.add_parser("check-config", help="validate the settings and print them (secrets hidden)")
    commands.add_parser("migrate", help="create or upgrade the database, then exit")
    commands.add_parser("slack-manifest", help="print the Slack app manifest (YAML) for the current settings")

    copy = commands.add_parser("copy-db", help="copy a whole database into an empty one (SQLite or PostgreSQL)",
                               description="Copy every table of FROM into TO, ids kept, in one transaction, and check"
                               " the row counts. TO is created and migrated if need be; a TO with rows is refused."
                               " Stop the bot first.")  # fmt: skip
    copy.add_argument("source", metavar="FROM", help="a SQLite file or a postgresql:// URL")
    copy.add_argument("target", metavar="TO", help="a SQLite file or a postgresql:// URL (empty)")

    export = commands.add_parser("export", help="write a CSV export to stdout or a file")
    kinds = _Subcommands(export.add_subparsers(dest="kind", required=True, metavar="KIND"), common)
    poll = kinds.add_parser("poll", help="a poll: counts per option, and voters unless anonymous")
    poll.add_argument("ref", help="the poll's reference, e.g. 12 or #12")
    poll.add_argument("--space", help="the space the poll belongs to (default: the console space)")
    poll.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    _add_separator(poll)
    for kind, text in (("attendees", "an event's attendees as CSV: name, mode, antenna, workshops, time, status"),
                       ("ics", "an event as an iCalendar file (.ics), times in UTC"),
                       ("live", "an event's live thread as CSV: time, platform, author (empty when anonymous), kind,"
                                " text")):  # fmt: skip
        event = kinds.add_parser(kind, help=text)
        event.add_argument("ref", help="the event's reference, e.g. 3 or #3")
        event.add_argument("--space", help="the space the event belongs to (default: the console space)")
        event.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
        if kind == "attendees":
            _add_separator(event)
    ideas = kinds.add_parser("ideas", help="the ideas of a space (one wall or all): no author for anonymous ideas")
    ideas.add_argument("--space", help="the space the ideas belong to (default: the console space)")
    ideas.add_argument("--wall", help="one wall's number, e.g. 2 (0 is the idea box; default: every wall)")
    ideas.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    _add_separator(ideas)

    report = commands.add_parser("report", help="write a report's charts (PNG) with their CSV, or one HTML page")
    reports = _Subcommands(report.add_subparsers(dest="kind", required=True, metavar="KIND"), common)
    for kind, text in (("event", "an event: sign-ups and presence, no-shows, waitlist, surveys, ideas"),
                       ("community", "across the events that took place: trends, members who came back, newcomers,"
                                     " surveys, ideas")):  # fmt: skip
        chosen = reports.add_parser(kind, help=text)
        if kind == "event":
            chosen.add_argument("ref", help="the event's reference, e.g. 3 or #3")
        chosen.add_argument("--space", help="the space to report on (default: the console space)")
        chosen.add_argument("--format", choices=("png", "csv", "html"), default="png",
                            help="png: each chart with its CSV (default); csv: the CSV files only; html: one page")  # fmt: skip
        chosen.add_argument("--out", type=Path, default=Path("."), help="folder to write the files in (default: here)")
        _add_separator(chosen)
    return parser


def _add_separator(parser: argparse.ArgumentParser) -> None:
    """--sep for a CSV export."""
    from bot.core.exports import SEPARATORS

    parser.add_argument("--sep", choices=SEPARATORS,
                        help='column separator: ";" (French spreadsheets) or "," (default: from the space\'s language)')  # fmt: skip


def _version() -> str:
    """The installed version of the package."""
    try:
        return metadata.version("phosphore")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _add_common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """--config and --db, accepted before and after the subcommand."""
    parser.add_argument("--config", type=Path, default=default,
                        help="TOML settings file (default: $PHOSPHORE_CONFIG or ./phosphore.toml)")  # fmt: skip
    parser.add_argument(
        "--db",
        default=default,
        help="SQLite database path or postgresql:// URL (overrides bot.database, $PHOSPHORE_DB and $PHOSPHORE_DATABASE_URL)",
    )


class _Subcommands:
    """Adds subcommands that all accept the common options."""

    def __init__(self, action: Any, common: argparse.ArgumentParser) -> None:
        self.action, self.common = action, common

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """A subcommand with --config and --db."""
        return self.action.add_parser(name, parents=[self.common], **kwargs)


def choose_adapters(requested: str | None, settings: Settings) -> list[str]:
    """The adapters to start: as asked, else those whose token is set, else the console."""
    if requested:
        names = [name.strip() for name in requested.split(",") if name.strip()]
        unknown = [name for name in names if name not in ADAPTERS]
        if unknown or not names:
            raise ConfigError(
                f"--adapter: unknown adapter {', '.join(map(repr, unknown)) or repr(requested)} (one of {', '.join(ADAPTERS)})"
            )
        return names
    found = [
        name
        for name, secret in (("slack", "SLACK_BOT_TOKEN"), ("discord", "DISCORD_TOKEN"))
        if secret in settings.secrets
    ]
    return found or ["console"]


async def _run(settings: Settings, adapters: list[str]) -> int:
    from bot.app import App
    from bot.core.clock import RehearsalClock

    # Each adapter package exposes `serve(app)`; importing only the chosen ones keeps the
    # console start-up free of slack_bolt and discord.py.
    servers = [importlib.import_module(f"bot.adapters.{name}").serve for name in adapters]
    # The console alone rehearses: its clock is real time that `/clock +1d` moves forward.
    app = App(settings, RehearsalClock() if adapters == ["console"] else None)
    stop_requested = asyncio.Event()
    with _sole_process(settings), _stop_signals(stop_requested):
        await app.start()
        runners: list[Any] = []
        try:
            if settings["web.enabled"]:
                # The live pages, beside whichever adapters run (aiohttp.web is imported only then).
                from bot.web.server import start_web

                runners.append(await start_web(app, settings["web.host"], settings["web.port"]))
            if settings["ops.port"]:
                from bot.ops.server import start_ops

                runners.append(await start_ops(app, settings["ops.host"], settings["ops.port"]))
            await _serve(app, servers, stop_requested)
        finally:
            for runner in runners:
                if runner is not None:
                    await runner.cleanup()
            await app.stop()
    log.info("stopped cleanly")
    return EXIT_OK


class AlreadyRunning(RuntimeError):
    """Another process runs the bot on the same database file."""


ONE_PROCESS = "run one process, with every adapter it needs: --adapter slack,discord"


@contextlib.contextmanager
def _sole_process(settings: Settings) -> Iterator[None]:
    """On an SQLite file, hold an exclusive lock while the bot runs; refuse if another process holds it.

    Processes on one PostgreSQL server share the work instead: one leads the scheduler, each claim
    is stamped with its process, and only a dead process's claims are ever taken for unsure.
    """
    # Two processes on one file would each take the other's in-flight sends for a crash
    # and mark them "unsure". The lock goes when the process ends, however it ends.
    if settings.database_url is not None:
        yield
        return
    database = settings.database
    lock_path = database.with_name(f"{database.name}.lock")
    with open(lock_path, "a", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another phosphore process is running on {database} (it holds {lock_path});"
                                 f" {ONE_PROCESS}") from None  # fmt: skip
        yield


@contextlib.contextmanager
def _stop_signals(stop_requested: asyncio.Event) -> Iterator[None]:
    """SIGTERM (docker stop, systemd, Heroku) and SIGINT ask for the clean shutdown instead of killing."""
    loop = asyncio.get_running_loop()

    def request(signum: signal.Signals) -> None:
        log.info("%s received: shutting down", signum.name)
        stop_requested.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, request, signum)
    try:
        yield
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


async def _serve(app: App, servers: list[Callable[[App], Awaitable[None]]], stop_requested: asyncio.Event) -> None:
    """Run the adapters until they end or a stop is requested; a stop lets them finish their own clean-up."""
    serving: asyncio.Future[list[None]] = asyncio.ensure_future(asyncio.gather(*(serve(app) for serve in servers)))
    stopping = asyncio.ensure_future(stop_requested.wait())
    try:
        waiting: list[asyncio.Future[Any]] = [serving, stopping]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        serving.cancel()  # nothing once the adapters have ended
        with contextlib.suppress(asyncio.CancelledError):
            await serving  # their clean-up runs now; an adapter's own failure still surfaces


async def _migrate(settings: Settings) -> int:
    from bot.feature import migration_folders
    from bot.features import FEATURES

    folders = migration_folders(FEATURES)
    url = settings.database_url
    if url is not None:
        from bot.store.postgres.database import migrate_url

        version = migrate_url(url, folders)
    else:
        from bot.store.sqlite.database import connect, migrate

        conn = connect(settings.database)
        try:
            version = migrate(conn, folders)
        finally:
            conn.close()
    print(f"database {settings.database_name} is at schema version {version}")
    return EXIT_OK


def _copy_db(source: str, target: str) -> int:
    """Copy FROM into the empty TO, table by table; print the rows copied per table."""
    from bot.feature import migration_folders
    from bot.features import FEATURES
    from bot.store.copy import CopyError, copy_database, open_side
    from bot.store.sqlite.database import migrations

    folders = migration_folders(FEATURES)
    latest = migrations(folders)[-1][0]
    try:
        with contextlib.ExitStack() as stack:
            for where in (source, target):  # no bot may write to either database meanwhile
                stack.enter_context(_sole_process(load_settings(environ={}, database=where)))
            reader = stack.enter_context(contextlib.closing(open_side(source, write=False)))
            writer = stack.enter_context(contextlib.closing(open_side(target, write=True, folders=folders)))
            copied = copy_database(reader, writer, latest)
    except CopyError as error:
        print(f"phosphore: copy-db: {error}", file=sys.stderr)
        return EXIT_FAILURE
    for table, count in copied.items():
        print(f"{table}: {count}")
    print(f"copied {sum(copied.values())} rows in {len(copied)} tables from {reader.describe()} to {writer.describe()}")
    return EXIT_OK


async def _export_content(app: App, args: argparse.Namespace, space: str, sep: str) -> str:
    """The text of one export, as trusted staff (the command line has no member); CSV columns split by `sep`."""
    if args.kind == "ideas":
        return await app.services.ideas.export_csv(space, args.wall, sep)
    if args.kind == "poll":
        return (await app.services.polls.export_csv(space, args.ref, None, sep))[1]
    if args.kind == "attendees":
        return (await app.services.events.export_csv(space, args.ref, None, sep))[1]
    if args.kind == "live":
        from bot.features.live.commands import LiveDeps

        deps = app.units["live"].deps
        assert isinstance(deps, LiveDeps)
        return await deps.stage.engage.export_event(space, args.ref, sep)
    event = await app.services.events.get(space, args.ref)
    return (await app.services.events.ics(event, None)).decode("utf-8")


async def _open_read_only(settings: Settings) -> App:
    """The app on an existing, up-to-date database, opened read-only and not started."""
    from bot.app import App
    from bot.feature import migration_folders
    from bot.features import FEATURES

    if settings.database_url is not None:
        from bot.store.postgres.database import migrations
    else:
        from bot.store.sqlite.database import migrations

        if not settings.database.is_file():
            raise ConfigError(f"no database at {settings.database} (check --db, bot.database or $PHOSPHORE_DB)")
    # Not started: starting would expire offers, promote waitlists and mark a running bot's sends "unsure".
    app = App(settings)
    version, latest = await app.services.db.open_read_only(), migrations(migration_folders(FEATURES))[-1][0]
    if version < latest:
        await app.services.db.close()
        raise ConfigError(f"database {settings.database_name} is at schema version {version}, not {latest}:"
                          " run `phosphore migrate` first")  # fmt: skip
    return app


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    """Write a report's files (charts with their CSV, or one page) into a folder, changing nothing."""
    from bot.core.errors import UserError
    from bot.core.exports import separator
    from bot.features.reports.commands import Rendered, render_community, render_event
    from bot.features.reports.domain import ReportService
    from bot.i18n import Translator

    app = await _open_read_only(settings)
    try:
        space = args.space or settings["console.space"]
        _ = Translator(app.services.spaces(space).locale)
        service = app.units["reports"].service
        assert isinstance(service, ReportService)
        sep = separator(args.sep, _.locale)
        rendered: Rendered
        try:
            if args.kind == "event":
                rendered = render_event(await service.event(space, args.ref, None), _, sep, args.format)
            else:
                rendered = render_community(await service.community(space, None), _, sep, args.format)
        except UserError as error:
            print(_(error.key, **error.params), file=sys.stderr)
            return EXIT_FAILURE
    finally:
        await app.services.db.close()
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for attachment in rendered.files:
            (args.out / attachment.filename).write_bytes(attachment.content)
    except OSError as error:
        print(f"phosphore: cannot write in {args.out}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILURE
    print(rendered.text)
    for attachment in rendered.files:
        print(args.out / attachment.filename, file=sys.stderr)
    return EXIT_OK


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    """Write a poll, ideas, attendees or calendar export, read from the database without changing it."""
    from bot.app import App
    from bot.core.errors import UserError
    from bot.core.exports import COMMA, SEMICOLON, separator
    from bot.feature import migration_folders
    from bot.features import FEATURES
    from bot.i18n import Translator

    if settings.database_url is not None:
        from bot.store.postgres.database import migrations
    else:
        from bot.store.sqlite.database import migrations

        if not settings.database.is_file():
            raise ConfigError(f"no database at {settings.database} (check --db, bot.database or $PHOSPHORE_DB)")
    # Not started: starting would expire offers, promote waitlists and mark a running bot's sends "unsure".
    app = App(settings)
    try:
        version, latest = await app.services.db.open_read_only(), migrations(migration_folders(FEATURES))[-1][0]
        if version < latest:
            raise ConfigError(f"database {settings.database_name} is at schema version {version}, not {latest}:"
                              " run `phosphore migrate` first")  # fmt: skip
        space = args.space or settings["console.space"]
        _ = Translator(app.services.spaces(space).locale)
        sep = separator(getattr(args, "sep", None), _.locale)
        try:
            content = await _export_content(app, args, space, sep)
        except UserError as error:
            print(_(error.key, **error.params), file=sys.stderr)
            return EXIT_FAILURE
        if args.kind != "ics":  # a CSV: say which separator it uses, and how to get the other
            print(_("export.separator", sep=sep, other=COMMA if sep == SEMICOLON else SEMICOLON), file=sys.stderr)
    finally:
        await app.services.db.close()
    return _write_output(content, args.output)


def _write_output(content: str, output: Path | None) -> int:
    """Write an export to its file, or to stdout; a file that cannot be written is a clear failure."""
    if output is None:
        sys.stdout.write(content)
        return EXIT_OK
    try:
        output.write_text(content, encoding="utf-8")
    except OSError as error:
        print(f"phosphore: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _slack_manifest(settings: Settings) -> int:
    """Print the Slack app manifest for these settings."""
    from bot.adapters.slack.manifest import manifest_yaml
    from bot.commands.registry import build_registry
    from bot.features import FEATURES

    sys.stdout.write(manifest_yaml(settings, build_registry(FEATURES)))
    return EXIT_OK


async def _discord_sync(settings: Settings, guild: int | None) -> int:
    """Register the slash commands on Discord, globally or on one server."""
    from bot.adapters.discord.sync import sync_commands
    from bot.app import App

    token = settings.secrets.get("DISCORD_TOKEN")
    if not token:
        raise ConfigError("discord-sync: DISCORD_TOKEN is not set")
    names = await sync_commands(App(settings), token, guild)
    where = f"on guild {guild} (global commands cleared, so none shows twice)" if guild else "globally"
    print(f"registered {len(names)} command(s) {where}: {', '.join(names)}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `phosphore` and `python -m bot`."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, database=args.db)
        configure_logging(settings["bot.log_level"], settings["bot.library_log_level"])
        if args.command == "check-config":
            print("\n".join(settings.describe()))
            print(f"configuration OK ({settings.source or 'defaults and environment'})")
            return EXIT_OK
        if args.command == "slack-manifest":
            return _slack_manifest(settings)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "discord-sync":
            return asyncio.run(_discord_sync(settings, args.guild))
        if args.command == "export":
            return asyncio.run(_export(settings, args))
        if args.command == "report":
            return asyncio.run(_report(settings, args))
        if args.command == "copy-db":
            return _copy_db(args.source, args.target)
        pace_for_bursts()
        return asyncio.run(_run(settings, choose_adapters(args.adapter, settings)))
    except ConfigError as error:
        print(f"phosphore: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (sqlite3.Error, DatabaseError) as error:
        print(f"phosphore: database error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except AlreadyRunning as error:
        print(f"phosphore: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
