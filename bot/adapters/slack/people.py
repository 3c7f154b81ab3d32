"""Who a Slack user is for Phosphore: name, language and staff status, from trusted Slack data."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.core.model import Member

log = logging.getLogger(__name__)

PROFILE_SECONDS = 300.0  # names, locales and admin flags change rarely
GROUP_SECONDS = 60.0  # a staff user group is re-read at most once a minute


@dataclass(frozen=True)
class Profile:
    """What users.info told us about a user."""

    name: str
    locale: str | None
    is_admin: bool


def profile_of(user: dict[str, Any], fallback: str) -> Profile:
    """A Profile from a users.info `user` object."""
    details = user.get("profile") or {}
    name = details.get("display_name") or details.get("real_name") or user.get("real_name") or fallback
    admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    return Profile(name, user.get("locale"), admin)


class People:
    """Resolves the member behind each request; staff is decided here, on the server, every time."""

    def __init__(self, settings: Settings) -> None:
        self.staff_users = frozenset(settings["slack.staff_users"])
        self.staff_group: str = settings["slack.staff_usergroup"]
        self.admins_are_staff: bool = settings["slack.admins_are_staff"]
        self._profiles: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    async def member(
        self, client: AsyncWebClient, team: str, user_id: str, fallback: str | None = None
    ) -> tuple[Member, str | None]:
        """The member and their Slack locale (None when unknown)."""
        profile = await self.profile(client, team, user_id, fallback or user_id)
        staff = await self.is_staff(client, team, user_id, profile)
        return Member(f"slack:{user_id}", profile.name, is_staff=staff), profile.locale

    async def profile(self, client: AsyncWebClient, team: str, user_id: str, fallback: str) -> Profile:
        """users.info, cached briefly; a failure leaves the user a non-admin in the space's language."""
        cached = self._profiles.get((team, user_id))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            # Slack omits `locale` unless asked with include_locale.
            answer = await client.users_info(user=user_id, include_locale=True)
            profile = profile_of(answer["user"], fallback)
        except SlackApiError as error:
            log.warning("users.info failed user=%s error=%s", user_id, error.response.get("error"))
            profile = Profile(fallback, None, False)
        self._profiles[(team, user_id)] = (time.monotonic() + PROFILE_SECONDS, profile)
        return profile

    async def is_staff(self, client: AsyncWebClient, team: str, user_id: str, profile: Profile) -> bool:
        """Configured ids, then the staff user group, then workspace admins if so configured."""
        if user_id in self.staff_users:
            return True
        if self.staff_group and user_id in await self.group(client, team):
            return True
        return self.admins_are_staff and profile.is_admin

    async def group(self, client: AsyncWebClient, team: str) -> frozenset[str]:
        """Members of the staff user group, cached briefly."""
        cached = self._groups.get(team)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            answer = await client.usergroups_users_list(usergroup=self.staff_group)
            users = frozenset(answer.get("users") or [])
        except SlackApiError as error:
            log.warning("usergroups.users.list failed group=%s error=%s", self.staff_group, error.response.get("error"))
            users = frozenset()
        self._groups[team] = (time.monotonic() + GROUP_SECONDS, users)
        return users
