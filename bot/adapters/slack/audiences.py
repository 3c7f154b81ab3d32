"""Who is in a Slack channel or user group, people only: conversations.members, usergroups.users.list, users.info."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.model import Member

log = logging.getLogger(__name__)

PAGE = 200  # Slack's advised page size for cursor-paged lists
LOOKUPS_AT_ONCE = 8  # users.info is Tier 4 (100+ a minute): a few at a time, 429s retried by the client
SLACKBOT = "USLACKBOT"  # Slack's own helper: users.info says is_bot false for it
# Typed as a mention (`<#C123|general>`, `<!subteam^S123|@design>`), an id, or a name (`#general`, `@design`).
CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
GROUP_MENTION = re.compile(r"<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
GROUP_ID = re.compile(r"S[A-Z0-9]{6,}")


async def channel_members(client: AsyncWebClient, channel: str) -> list[Member] | None:
    """The people in a channel (None when the bot cannot see it)."""
    channel_id = await _channel_id(client, channel)
    if channel_id is None:
        return None
    users: list[str] = []
    try:
        async for page in await client.conversations_members(channel=channel_id, limit=PAGE):
            users.extend(page.get("members") or [])
    except SlackApiError as error:
        log.warning("conversations.members failed channel=%s error=%s", channel_id, error.response.get("error"))
        return None
    return await people(client, users)


async def group_members(client: AsyncWebClient, group: str) -> list[Member] | None:
    """The people in a user group (None when there is no such group)."""
    group_id = await _group_id(client, group)
    if group_id is None:
        return None
    try:
        answer = await client.usergroups_users_list(usergroup=group_id)
    except SlackApiError as error:
        log.warning("usergroups.users.list failed group=%s error=%s", group_id, error.response.get("error"))
        return None
    return await people(client, list(answer.get("users") or []))


async def people(client: AsyncWebClient, user_ids: list[str]) -> list[Member]:
    """The users who are people: bots, apps and deactivated accounts left out (users.info on each, a few at a time)."""
    gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

    async def person(user_id: str) -> Member | None:
        if user_id == SLACKBOT:
            return None
        async with gate:
            try:
                user: dict[str, Any] = (await client.users_info(user=user_id))["user"]
            except SlackApiError as error:
                log.warning("users.info failed user=%s error=%s", user_id, error.response.get("error"))
                return None
        if user.get("is_bot") or user.get("is_app_user") or user.get("deleted"):
            return None
        details = user.get("profile") or {}
        name = details.get("display_name") or details.get("real_name") or user.get("real_name") or user_id
        return Member(f"slack:{user_id}", name)

    found = await asyncio.gather(*(person(user_id) for user_id in dict.fromkeys(user_ids)))
    return [member for member in found if member is not None]


async def _channel_id(client: AsyncWebClient, channel: str) -> str | None:
    """A channel's id from a mention, an id, or its name (conversations.list, paged)."""
    if mention := CHANNEL_MENTION.fullmatch(channel):
        return mention.group(1)
    if CHANNEL_ID.fullmatch(channel):
        return channel
    name = channel.removeprefix("#").casefold()
    try:
        async for page in await client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=PAGE
        ):
            for found in page.get("channels") or []:
                if str(found.get("name", "")).casefold() == name:
                    return str(found["id"])
    except SlackApiError as error:
        log.warning("conversations.list failed error=%s", error.response.get("error"))
    return None


async def _group_id(client: AsyncWebClient, group: str) -> str | None:
    """A user group's id from a mention, an id, or its handle or name (usergroups.list)."""
    if mention := GROUP_MENTION.fullmatch(group):
        return mention.group(1)
    if GROUP_ID.fullmatch(group):
        return group
    wanted = group.removeprefix("@").casefold()
    try:
        answer = await client.usergroups_list()
    except SlackApiError as error:
        log.warning("usergroups.list failed error=%s", error.response.get("error"))
        return None
    for found in answer.get("usergroups") or []:
        if wanted in (str(found.get("handle", "")).casefold(), str(found.get("name", "")).casefold()):
            return str(found["id"])
    return None
