"""How an event looks, in the neutral UI model; the online link never appears on a public card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.notices import Notice
from bot.features.events.domain import (
    MODES,
    PRESENT_SHOWN,
    Attendance,
    Counts,
    Event,
    Mode,
    ModeCount,
    Signup,
    checkin_window,
)
from bot.i18n import Translator
from bot.ui import Arg, Button, Card, Control, Field, Reply, Route, Select, SelectOption, moment

ANTENNA_BUTTONS_MAX = 5  # more antennas than this become a select menu
WAITLIST_SHOWN = 20

JOIN = Route("event", "join", Arg("event_id"), Arg("mode", str, choices=MODES), Arg("antenna_id", optional=True))
ANTENNA = Route("event", "antenna", Arg("event_id"), Arg("antenna_id", from_value=True))  # remote, from there
SESSION = Route("event", "session", Arg("event_id"), Arg("number", from_value=True))  # chosen again: dropped
LEAVE = Route("event", "leave", Arg("event_id"))  # withdraw, or decline an offered place
CONFIRM = Route("event", "confirm", Arg("event_id"))  # take an offered place
ICS = Route("event", "ics", Arg("event_id"))
PRESENT = Route("event", "present", Arg("event_id"), Arg("seq", from_value=True))  # staff: mark present on site


def when(instant: datetime, event: Event, _: Translator) -> str:
    """An instant of the event in its zone, in the reader's language."""
    return moment(instant, event.tz, _.locale)


def capacity_text(capacity: int | None, count: ModeCount, _: Translator) -> str:
    """ "12 / 50 · 3 en attente" or "40 (illimité)"."""
    text = _("event.card.unlimited", held=count.held) if capacity is None else f"{count.held} / {capacity}"
    return text + (" · " + _("event.card.waiting", count=count.waiting) if count.waiting else "")


def places(event: Event, counts: Counts, mode: Mode, _: Translator) -> str:
    """Places held and waiting in one attendance mode."""
    return capacity_text(event.capacity(mode), counts.modes[mode], _)


def signup_controls(event: Event, counts: Counts, _: Translator) -> tuple[Control, ...]:
    """Sign-up buttons per mode and antenna, a workshop menu, withdraw."""
    controls: list[Control] = [
        Button(_(f"event.mode.{mode}"), JOIN.id(event.id, mode), "primary") for mode in MODES if event.offers(mode)
    ]
    antennas = [antenna for antenna, _count in counts.antennas]
    if event.offers("remote") and 0 < len(antennas) <= ANTENNA_BUTTONS_MAX:
        controls += [
            Button(_("event.card.antenna_button", name=a.name), JOIN.id(event.id, "remote", a.id)) for a in antennas
        ]
    elif event.offers("remote") and antennas:
        options = tuple(SelectOption(a.name, str(a.id), a.region or None) for a in antennas)
        controls.append(Select(_("event.card.antenna_pick"), ANTENNA.id(event.id), options))
    if counts.sessions:
        options = tuple(
            SelectOption(f"{s.number}. {s.title}", str(s.number), when(s.starts_at, event, _))
            for s, _c in counts.sessions
        )
        controls.append(Select(_("event.card.session_pick"), SESSION.id(event.id), options))
    controls.append(Button(_("event.card.withdraw"), LEAVE.id(event.id), "danger"))
    return tuple(controls)


def event_card(event: Event, counts: Counts, _: Translator, now: datetime) -> Card:
    """The public card of an event: details, places per mode, antennas, workshops and buttons."""
    fields = [Field(_("event.card.start"), when(event.starts_at, event, _)),
              Field(_("event.card.end"), when(event.ends_at, event, _))]  # fmt: skip
    if event.venue:
        fields.append(Field(_("event.card.venue"), event.venue))
    fields += [Field(_(f"event.mode.{mode}"), places(event, counts, mode, _)) for mode in MODES if event.offers(mode)]
    if counts.antennas and event.offers("remote"):
        antennas = " · ".join(f"{a.name} {n}" for a, n in counts.antennas)
        fields.append(Field(_("event.card.antennas"), antennas))
    for session, count in counts.sessions:
        fields.append(Field(session_label(session.number, session.title, _), capacity_text(session.capacity, count, _)))
    if event.deadline:
        fields.append(Field(_("event.card.deadline"), when(event.deadline, event, _)))
    if event.price:
        fields.append(Field(_("event.card.price"), event.price))
    controls: tuple[Control, ...] = ()
    if event.signups_open(now):
        controls = signup_controls(event, counts, _)
    if event.cancelled_at is None:
        controls += (Button(_("event.card.ics"), ICS.id(event.id)),)
    title = _("event.card.title", ref=event.ref, title=event.title)
    footer = _("event.card.footer_open") if event.signups_open(now) else _("event.card.footer_closed")
    if event.cancelled_at is not None:
        title, footer = (
            _("event.card.title_cancelled", ref=event.ref, title=event.title),
            _("event.card.footer_cancelled"),
        )
    body = (event.description,) if event.description else ()
    return Card(title=title, text=body, fields=tuple(fields), controls=controls, footer=footer)


def session_label(number: int, title: str, _: Translator) -> str:
    """ "Atelier 2 · Titre"."""
    return _("event.card.session", number=number, title=title)


def status_text(event: Event, signup: Signup | None, _: Translator) -> str:
    """Where a member stands, for them only; remote attendees holding a place get the online link."""
    if event.cancelled_at is not None:
        return _("event.status.cancelled", ref=event.ref, title=event.title)
    if signup is None or not signup.active:
        return _("event.status.none", ref=event.ref, title=event.title)
    mode = _(f"event.mode.{signup.mode}")
    if signup.antenna:
        mode = _("event.status.with_antenna", mode=mode, antenna=signup.antenna)
    if signup.status == "waitlisted":
        text = _("event.status.waitlisted", ref=event.ref, title=event.title, mode=mode, position=signup.position)
    elif signup.status == "offered":
        expires = when(signup.offer_expires_at, event, _) if signup.offer_expires_at else ""
        text = _("event.status.offered", ref=event.ref, title=event.title, mode=mode, expires=expires)
    else:
        text = _("event.status.confirmed", ref=event.ref, title=event.title, mode=mode)
    if signup.sessions or signup.sessions_waiting:
        waiting = (_("event.status.session_waiting", title=title) for title in signup.sessions_waiting)
        text += "\n" + _("event.status.sessions", sessions=", ".join((*signup.sessions, *waiting)))
    return text + link_line(event, signup, _)


def link_line(event: Event, signup: Signup | None, _: Translator) -> str:
    """The online link line, for a remote attendee holding a place only."""
    if signup is None or not signup.holds_place or signup.mode != "remote" or not event.online_link:
        return ""
    return "\n" + _("event.status.link", link=event.online_link)


def render_notice(notice: Notice, _: Translator) -> Reply:
    """The private message for a promotion, an offer, an expiry, a workshop place, a cancellation or missed members."""
    what, p = notice.kind.split(".", 1)[1], notice.params
    if what == "missed":
        return Reply(text=_("event.notice.missed", ref=p["ref"], title=p["title"], names=", ".join(p["names"])))
    params = {"ref": p["ref"], "title": p["title"], "mode": _(f"event.mode.{p['mode']}"),
              "start": _notice_when(p["starts_at"], p, _), "session": p.get("session", "")}  # fmt: skip
    if what == "offered":
        params["expires"] = _notice_when(p["expires_at"], p, _)
        controls = (Button(_("event.notice.confirm_button"), CONFIRM.id(p["event_id"]), "success"),
                    Button(_("event.notice.decline_button"), LEAVE.id(p["event_id"]), "danger"))  # fmt: skip
        return Reply(card=Card(title=_("event.card.title", ref=p["ref"], title=p["title"]),
                               text=(_("event.notice.offered", **params),), controls=controls))  # fmt: skip
    text = _(f"event.notice.{what}", **params)
    if what == "promoted" and p.get("link"):
        text += "\n" + _("event.status.link", link=p["link"])
    return Reply(text=text)


def _notice_when(instant: str, params: Mapping[str, Any], _: Translator) -> str:
    """An instant carried by a notice, in its event's zone and the reader's language."""
    return moment(datetime.fromisoformat(instant), ZoneInfo(params["timezone"]), _.locale)


def list_card(events: Sequence[Event], _: Translator) -> Card:
    """/event list: upcoming events, one line each."""
    lines = []
    for event in events:
        key = "event.list.item_cancelled" if event.cancelled_at else "event.list.item"
        lines.append(_(key, ref=event.ref, title=event.title, start=when(event.starts_at, event, _)))
    return Card(title=_("event.list.title", count=len(events)), text=("\n".join(lines),))


def attendees_card(
    event: Event, counts: Counts, signups: Sequence[Signup], _: Translator, attendance: Attendance, now: datetime
) -> Card:
    """Staff view: counts by mode, antenna and workshop, presence and no-shows, the waitlists in order."""
    fields = [Field(_(f"event.mode.{mode}"), places(event, counts, mode, _)) for mode in MODES if event.offers(mode)]
    fields += presence_fields(event, counts, attendance, _, now)
    fields += [Field(a.name, str(n)) for a, n in counts.antennas]
    fields += [Field(session_label(s.number, s.title, _), capacity_text(s.capacity, c, _)) for s, c in counts.sessions]
    text = []
    for mode in MODES:
        waiting = sorted((s for s in signups if s.status == "waitlisted" and s.mode == mode), key=lambda s: s.seq)
        if waiting:
            names = ", ".join(f"{s.position}. {s.name}" for s in waiting[:WAITLIST_SHOWN])
            more = len(waiting) - WAITLIST_SHOWN
            text.append(_("event.attendees.waitlist", mode=_(f"event.mode.{mode}"), names=names)
                        + (f" … (+{more})" if more > 0 else ""))  # fmt: skip
    offered = [s.name for s in signups if s.status == "offered"]
    if offered:
        text.append(_("event.attendees.offered", names=", ".join(offered)))
    if attendance.no_shows:
        names = ", ".join(s.name for s in attendance.no_shows[:WAITLIST_SHOWN])
        more = len(attendance.no_shows) - WAITLIST_SHOWN
        text.append(_("event.attendees.no_show_names", names=names) + (f" … (+{more})" if more > 0 else ""))
    return Card(title=_("event.attendees.title", ref=event.ref, title=event.title), text=tuple(text),
                fields=tuple(fields), controls=present_controls(event, signups, attendance, _, now))  # fmt: skip


def presence_fields(event: Event, counts: Counts, attendance: Attendance, _: Translator, now: datetime) -> list[Field]:
    """Checked in on site out of the places held, present remotely, and the no-shows once it has ended."""
    if now < checkin_window(event)[0] or event.cancelled_at is not None:
        return []
    fields = [Field(_("event.attendees.checked_in"), f"{attendance.count('onsite')} / {counts.modes['onsite'].held}"),
              Field(_("event.attendees.remote_present"), str(attendance.count("remote")))]  # fmt: skip
    if now >= event.ends_at:
        fields.append(Field(_("event.attendees.no_shows"), str(len(attendance.no_shows))))
    return fields


def present_controls(
    event: Event, signups: Sequence[Signup], attendance: Attendance, _: Translator, now: datetime
) -> tuple[Control, ...]:
    """A menu marking a confirmed member present on site, once check-in has opened."""
    if now < checkin_window(event)[0] or event.cancelled_at is not None:
        return ()
    onsite = {p.member for p in attendance.present if p.how == "onsite"}
    waiting = [s for s in signups if s.status == "confirmed" and s.member not in onsite]
    waiting.sort(key=lambda s: (s.mode != "onsite", s.name.casefold()))
    if not waiting:
        return ()
    options = tuple(SelectOption(s.name, str(s.seq), _(f"event.mode.{s.mode}")) for s in waiting[:PRESENT_SHOWN])
    return (Select(_("event.attendees.mark_present"), PRESENT.id(event.id), options),)
