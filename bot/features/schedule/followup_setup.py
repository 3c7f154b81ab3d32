"""Staff's own follow-up questions per event, and whom follow-ups reach: those present, once check-in was used."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.features.events.domain import Attendance, Event, EventService, Signup
from bot.features.schedule.domain import STEPS, Audience, FollowupSetup, Step, check_question, followup_recipients
from bot.features.schedule.followup_store import FollowupSetupStore

RESETS = ("day", "month", "all")


class FollowupSetups:
    """Each event's follow-up questions (defaults unless staff wrote their own) and their recipients."""

    def __init__(self, store: FollowupSetupStore, events: EventService, clock: Clock) -> None:
        self.store = store
        self.events = events
        self.clock = clock

    async def of(self, event: Event) -> FollowupSetup:
        """An event's follow-up setup."""
        return await self.store.setup(event.id)

    async def recipients(self, event: Event, setup: FollowupSetup) -> list[Signup]:
        """Who gets the event's follow-ups now: confirmed attendees, only those present if anyone checked in."""
        return followup_recipients(await self.events.signups(event), setup, await self.events.attendance(event))

    async def show(self, space: str, ref: str | int, by: Member) -> tuple[Event, FollowupSetup, Attendance]:
        """An event's follow-up setup and its presence so far (staff)."""
        EventService.require_staff(by)
        event = await self.events.get(space, ref)
        return event, await self.of(event), await self.events.attendance(event)

    async def change(
        self,
        space: str,
        ref: str | int,
        by: Member,
        texts: dict[Step, str],
        reset: str | None,
        audience: Audience | None,
    ) -> Event:
        """Write, reset or keep each question and choose the audience (staff); texts are checked before anything."""
        EventService.require_staff(by)
        event = await self.events.get(space, ref)
        if event.cancelled_at is not None:
            raise UserError("event.cancelled", ref=event.ref)
        checked = {step: check_question(text, step) for step, text in texts.items()}
        cleared = STEPS if reset == "all" else tuple(step for step in STEPS if step == reset)

        def edit(setup: FollowupSetup) -> FollowupSetup:
            """Resets first, then the new questions, then the audience."""
            for step in cleared:
                setup = setup.with_text(step, None)
            for step, text in checked.items():
                setup = setup.with_text(step, text)
            return FollowupSetup(setup.day, setup.month, audience or setup.audience)

        await self.store.change(event.id, event.space, edit, by.key, self.clock.now())
        return event
