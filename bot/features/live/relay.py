"""The relay's rules: a member's message as it reads on another platform, inert, and bursts packed into posts.

Pure functions, no I/O: the relay service (relaying.py) calls them inside its store's transactions.
A copy reads "**Name** (Slack) : text" (Slack's bold is `*Name*`, the console has none). Mention
tokens of the source platform become plain names, and the target platform's own pinging syntax is
made inert, so a relayed message never pings anyone on any side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ZWSP = "\u200b"  # between "@" and "everyone": shows the same, pings nobody even where mentions are parsed
ELLIPSIS = "…"
PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "Console"}
POST_MAX = {"slack": 3000, "discord": 2000, "console": 4000}  # characters of one post on each platform
# The time between two posts in one channel: Slack allows about one message a second per channel,
# Discord about 5 per 5 s; one a second keeps both within their limits without holding a burst of 5
# back for 5 s (what a message waits stays under the 2 s the live thread promises). The 5 % margin
# absorbs the jitter between leaving here and reaching the platform.
GAPS = {"slack": 1.05, "discord": 1.05}
DEFAULT_GAP = 0.0  # the console has no limit

Names = Callable[[str], str | None]  # a member key ("discord:123") or role key ("discord:&7") -> its name, when known

# Slack's tokens (text as the adapter hands it over, unescaped): <!here>, <!subteam^S1|@team>, <@U1|bob>, <#C1|x>, <url|label>.
SLACK_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
SLACK_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>")
SLACK_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
SLACK_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]*))?>")
# Discord's: <@123>, <@!123>, <@&123> (a role), <#123>, <:emoji:123>, <a:emoji:123>.
DISCORD_USER = re.compile(r"<@!?(\d+)>")
DISCORD_ROLE = re.compile(r"<@&(\d+)>")
DISCORD_CHANNEL = re.compile(r"<#(\d+)>")
DISCORD_EMOJI = re.compile(r"<a?:(\w+):\d+>")
BARE = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
URL = re.compile(r"(https?://\S+)")
DISCORD_MARKDOWN = re.compile(r"([\\*_~|`<>\[\]])")
LINE_START = re.compile(r"^(\s*)([#-])", re.MULTILINE)  # headings (# …) and subtext (-# …)


@dataclass(frozen=True)
class Copy:
    """A member's message to relay: who, from which platform (and antenna), what they wrote and attached."""

    name: str
    platform: str
    text: str
    attachments: tuple[str, ...] = ()
    antenna: str | None = None


def plain(text: str, platform: str, names: Names) -> str:
    """The source platform's mention, channel, link and emoji tokens as plain text."""
    if platform == "slack":
        text = SLACK_SPECIAL.sub(lambda m: f"@{m[1]}", text)
        text = SLACK_SUBTEAM.sub(lambda m: f"@{m[2] or m[1]}", text)
        text = SLACK_USER.sub(lambda m: f"@{m[2] or names(f'slack:{m[1]}') or m[1]}", text)
        text = SLACK_CHANNEL.sub(lambda m: f"#{m[2] or m[1]}", text)
        text = SLACK_LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] and m[2] != m[1] else m[1], text)
    elif platform == "discord":
        text = DISCORD_USER.sub(lambda m: f"@{names(f'discord:{m[1]}') or m[1]}", text)
        text = DISCORD_ROLE.sub(lambda m: f"@{names(f'discord:&{m[1]}') or m[1]}", text)
        text = DISCORD_CHANNEL.sub(lambda m: f"#{m[1]}", text)
        text = DISCORD_EMOJI.sub(lambda m: f":{m[1]}:", text)
    return text


def inert(text: str, target: str) -> str:
    """Plain text made inert for the target platform: no token pings, nothing renders as the member's markup."""
    text = BARE.sub(lambda m: f"@{ZWSP}{m[1]}", text)
    if target == "slack":
        # Escaped <, > and & cannot form a token; Slack shows them as typed.
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if target == "discord":
        parts = URL.split(text)  # links stay clickable: nothing escaped inside them
        text = "".join(part if index % 2 else DISCORD_MARKDOWN.sub(r"\\\1", part) for index, part in enumerate(parts))
        return LINE_START.sub(r"\1\\\2", text)
    return text


def clip(text: str, limit: int) -> str:
    """`text` within `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def line(copy: Copy, target: str, names: Names) -> str:
    """One relayed message as it reads on `target`: "**Name** (Slack, Nantes) : text 📎 url"."""
    where = PLATFORM_NAMES.get(copy.platform, copy.platform.title())
    if copy.antenna:
        where = f"{where}, {copy.antenna}"
    name = " ".join(copy.name.split()) or "?"
    if target == "slack":
        author = f"*{inert(name.replace('*', ''), target)}*"
    elif target == "discord":
        author = f"**{inert(name, target)}**"
    else:
        author = name
    body = inert(plain(copy.text, copy.platform, names), target).strip()
    links = " ".join(f"📎 {inert(url, target) if target == 'slack' else url}" for url in copy.attachments)
    text = " ".join(part for part in (body, links) if part)
    return clip(f"{author} ({inert(where, target)}) : {text}", POST_MAX.get(target, 4000))


def pack(lines: Sequence[str], target: str) -> int:
    """How many leading lines go into the next post: as many as fit, in order, and always at least one."""
    limit = POST_MAX.get(target, 4000)
    size, count = -1, 0
    for text in lines:
        size += len(text) + 1  # the newline that joins them
        if size > limit and count:
            break
        count += 1
    return count


def joined(lines: Sequence[str], target: str) -> str:
    """The lines of one post, one message a line, within the platform's limit."""
    return clip("\n".join(lines), POST_MAX.get(target, 4000))


def gap(target: str) -> float:
    """Seconds between two posts of the relay in one channel of `target`."""
    return GAPS.get(target, DEFAULT_GAP)
