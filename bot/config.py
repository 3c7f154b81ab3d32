"""Settings: a TOML file, then environment variables (which win); secrets only from the environment."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.spaces import SpaceSettings
from bot.core.text import web_url
from bot.i18n import SUPPORTED
from bot.store.database import is_url, masked

SECRET_NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DISCORD_TOKEN")
SECRET_WORDS = ("token", "secret", "password")
DEFAULT_CONFIG = Path("phosphore.toml")


class ConfigError(ValueError):
    """A setting that cannot be used, named by its dotted key."""


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. 'Europe/Paris')") from None
    return str(value)


def _one_of(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if str(value).lower() not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return str(value).lower()

    return check


def _positive_float(value: Any) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"{value!r} must be zero or more")
    return number


def _port(value: Any) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError(f"{value!r} is not a TCP port")
    return number


def _port_or_off(value: Any) -> int:
    return 0 if str(value).strip() in ("", "0") else _port(value)


def _string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a list of strings")
    return tuple(value)


def _int_between(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"{value!r} is not between {low} and {high}")
        return number

    return check


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{value!r} is not true or false")
    return word in ("true", "1", "yes")


def _offsets(value: Any) -> str:
    from bot.core.errors import UserError
    from bot.core.when import parse_duration

    text = str(value).strip()
    if text.casefold() in ("none", "aucun", "aucune"):
        return text
    try:
        durations = [parse_duration(part) for part in text.split(",") if part.strip()]
    except UserError:
        raise ValueError(f"{value!r} is not a list of durations such as '7d,1d,1h'") from None
    if not durations:
        raise ValueError("give at least one duration (e.g. '7d,1d,1h') or 'none'")
    return text


def _rates(value: Any) -> str:
    for part in filter(None, (item.strip() for item in str(value).split(","))):
        platform, _, rate = part.partition("=")
        try:
            ok = bool(platform.strip()) and float(rate) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{part!r} is not platform=sends_per_second (e.g. 'slack=10,discord=20')")
    return str(value)


def _public_url(raw: Any) -> str:
    """Empty, or the https address Slack reaches the bot at (it goes into the manifest as is)."""
    text = str(raw).strip()
    if not text:
        return ""
    url = web_url(text)
    if url is None or urlsplit(url).scheme != "https":
        raise ValueError(f"{text[:80]!r} is not an https:// address")
    return url.rstrip("/")


def _web_base(raw: Any) -> str:
    """The http(s) address members reach the live pages at (links are built on it)."""
    text = str(raw).strip()
    url = web_url(text)
    if url is None or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{text[:80]!r} is not an http:// or https:// address")
    return url.rstrip("/")


def _database_url(raw: str) -> str:
    """A PostgreSQL URL from PHOSPHORE_DATABASE_URL."""
    text = raw.strip()
    if not is_url(text):
        raise ConfigError(f"{DATABASE_URL} must start with postgresql:// (got {masked(text)[:40]!r})")
    return text


DATABASE_URL = "PHOSPHORE_DATABASE_URL"  # selects PostgreSQL; `bot.database` may also be such a URL

# dotted key -> (parser, default, environment variable)
SCHEMA: dict[str, tuple[Callable[[Any], Any], Any, str | None]] = {
    "bot.database": (str, "phosphore.db", "PHOSPHORE_DB"),
    "bot.locale": (_one_of(*SUPPORTED), "fr", "PHOSPHORE_LOCALE"),
    "bot.timezone": (_timezone, "Europe/Paris", "PHOSPHORE_TIMEZONE"),
    "bot.log_level": (_one_of("debug", "info", "warning", "error"), "warning", "PHOSPHORE_LOG_LEVEL"),
    "bot.library_log_level": (_one_of("debug", "info", "warning", "error"), "warning", "PHOSPHORE_LIBRARY_LOG_LEVEL"),
    "bot.live_update_interval": (_positive_float, 2.0, "PHOSPHORE_LIVE_UPDATE_INTERVAL"),
    "bot.synchronous": (_one_of("normal", "full"), "normal", "PHOSPHORE_SYNCHRONOUS"),
    "polls.creators": (_one_of("staff", "everyone"), "staff", "PHOSPHORE_POLL_CREATORS"),
    "ideas.max_length": (_int_between(1, 3000), 1000, "PHOSPHORE_IDEAS_MAX_LENGTH"),
    "ideas.flood_per_minute": (_int_between(1, 1000), 10, "PHOSPHORE_IDEAS_FLOOD_PER_MINUTE"),
    "ideas.duplicate_threshold": (_int_between(0, 100), 80, "PHOSPHORE_IDEAS_DUPLICATE_THRESHOLD"),
    "schedule.reminder_offsets": (_offsets, "7d,1d,1h", "PHOSPHORE_REMINDER_OFFSETS"),
    "schedule.send_rate": (_rates, "slack=10,discord=20", "PHOSPHORE_SEND_RATE"),
    "console.space": (str, "console:local", None),
    "console.member": (str, "alice", "PHOSPHORE_CONSOLE_MEMBER"),
    "console.staff": (_string_list, ("alice",), "PHOSPHORE_CONSOLE_STAFF"),
    "console.files": (str, "phosphore-files", "PHOSPHORE_CONSOLE_FILES"),
    "slack.staff_users": (_string_list, (), "PHOSPHORE_SLACK_STAFF_USERS"),
    "slack.staff_usergroup": (str, "", "PHOSPHORE_SLACK_STAFF_USERGROUP"),
    "slack.admins_are_staff": (_boolean, True, None),
    "slack.port": (_port, 3000, "PORT"),
    "slack.host": (str, "0.0.0.0", "PHOSPHORE_SLACK_HOST"),
    "slack.commands": (_string_list, (), "PHOSPHORE_SLACK_COMMANDS"),
    "slack.public_url": (_public_url, "", "PHOSPHORE_PUBLIC_URL"),
    "slack.app_name": (str, "Phosphore", None),
    "discord.staff_role": (str, "", "PHOSPHORE_DISCORD_STAFF_ROLE"),
    "discord.message_content": (_boolean, False, "PHOSPHORE_DISCORD_MESSAGE_CONTENT"),  # privileged intent
    "discord.members": (_boolean, False, "PHOSPHORE_DISCORD_MEMBERS"),  # privileged intent: member lists
    "web.enabled": (_boolean, True, "PHOSPHORE_WEB_ENABLED"),
    "web.port": (_port, 8080, "PHOSPHORE_WEB_PORT"),
    "web.host": (str, "0.0.0.0", "PHOSPHORE_WEB_HOST"),
    "web.public_url": (_web_base, "http://localhost:8080", "PHOSPHORE_WEB_URL"),
    "ops.port": (_port_or_off, 0, "PHOSPHORE_OPS_PORT"),  # /healthz and /metrics alone; 0: off
    "ops.host": (str, "0.0.0.0", "PHOSPHORE_OPS_HOST"),
}
SPACE_KEYS = {"locale": "bot.locale", "timezone": "bot.timezone", "poll_creators": "polls.creators",
              "reminder_offsets": "schedule.reminder_offsets"}  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Validated settings; `values` holds every dotted key of SCHEMA."""

    values: Mapping[str, Any]
    spaces: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    source: Path | None = None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def database(self) -> Path:
        """Where the SQLite database lives."""
        return Path(self.values["bot.database"])

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL server's URL when `bot.database` names one rather than an SQLite file."""
        value = str(self.values["bot.database"])
        return value if is_url(value) else None

    @property
    def database_name(self) -> str:
        """The database as it may be shown: the file, or the URL with its password masked."""
        url = self.database_url
        return masked(url) if url else str(self.database)

    def space_defaults(self) -> SpaceSettings:
        """What every space gets unless overridden."""
        return SpaceSettings(self["bot.locale"], self["bot.timezone"], self["polls.creators"],
                             self["schedule.reminder_offsets"])  # fmt: skip

    def describe(self) -> list[str]:
        """Every setting as `key = value`, secrets shown only as set or not."""
        shown = {**self.values, "bot.database": self.database_name}
        lines = [f"{key} = {value!r}" for key, value in sorted(shown.items())]
        lines += [f"{name} = {'(set)' if name in self.secrets else '(not set)'}" for name in SECRET_NAMES]
        return lines


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted != "spaces":
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _parse(key: str, raw: Any) -> Any:
    parser = SCHEMA[key][0]
    try:
        return parser(raw)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{key}: {error}") from None


def _check_known(key: str) -> None:
    if any(word in key.lower() for word in SECRET_WORDS):
        raise ConfigError(f"{key}: secrets are read only from the environment ({', '.join(SECRET_NAMES)})")
    if key not in SCHEMA:
        hint = difflib.get_close_matches(key, SCHEMA, n=1)
        raise ConfigError(f"{key}: unknown setting" + (f" (did you mean {hint[0]}?)" if hint else ""))


def _spaces(raw: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, Mapping):
        raise ConfigError("spaces: must be a table of spaces")
    spaces: dict[str, dict[str, Any]] = {}
    for space, values in raw.items():
        spaces[space] = {}
        for name, value in dict(values).items():
            if name not in SPACE_KEYS:
                raise ConfigError(f"spaces.{space}.{name}: unknown setting (one of {', '.join(SPACE_KEYS)})")
            try:
                spaces[space][name] = SCHEMA[SPACE_KEYS[name]][0](value)
            except (ValueError, TypeError) as error:
                raise ConfigError(f"spaces.{space}.{name}: {error}") from None
    return spaces


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None, database: str | None = None
) -> Settings:
    """Defaults, then the TOML file, then the environment, then `--db`; raises ConfigError."""
    env = os.environ if environ is None else environ
    path = path or (Path(env["PHOSPHORE_CONFIG"]) if env.get("PHOSPHORE_CONFIG") else None)
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    file_values: dict[str, Any] = {}
    if path is not None:
        try:
            file_values = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML ({error})") from None
    spaces = _spaces(file_values.pop("spaces", {}))
    values = {key: default for key, (_, default, _) in SCHEMA.items()}
    for key, raw in file_values.items():
        _check_known(key)
        values[key] = _parse(key, raw)
    for key, (_, _, variable) in SCHEMA.items():
        if variable and env.get(variable):
            values[key] = _parse(key, env[variable])
    if env.get(DATABASE_URL):  # a server named in the environment wins over a file named anywhere else
        values["bot.database"] = _database_url(env[DATABASE_URL])
    if database:
        values["bot.database"] = database
    secrets = {name: env[name] for name in SECRET_NAMES if env.get(name)}
    return Settings(values, spaces, secrets, path)
