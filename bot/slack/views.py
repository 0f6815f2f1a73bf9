"""`/lock list`, `/lock status` and `/lock history`: read-only answers, shown only to the asker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import lockable_targets
from bot.door_state import Facts, door_states, read_facts, remember
from bot.history import recent_requests, visible_doors
from bot.locking import LockService
from bot.models import Door, DoorGroup, LockRequest, LockStatus, utcnow
from bot.names import Unknown, covered_doors, list_doors
from bot.names import resolve as resolve_name
from bot.ports import BackendError, BackendErrorKind, DeviceReader, DeviceState, Problem
from bot.slack.commands import HISTORY_MAX
from bot.slack.door_words import ago, bold, door_line
from bot.slack.later import Later
from bot.slack.messages import duration, nothing_to_lock, who
from bot.text import escape

# One section block's worth: the answer renders whole, and could move into blocks unchanged.
TEXT_MAX = 3000
# History must fit 50 rows; Slack shows a long message folded, and refuses only past 40k.
HISTORY_TEXT_MAX = 12_000
_GROUP_DOORS_SHOWN = 8
# Seam's own messages are echoed only as a fallback; a runaway one must not crowd out the rest.
_MESSAGE_MAX = 300


# -- shared words ----------------------------------------------------------------------------


def slack_date(when: datetime) -> str:
    """Shown in the reader's own time zone by Slack; the fallback is for clients that can't."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def fit(head: str, lines: Sequence[str], tail: str = "", limit: int = TEXT_MAX) -> str:
    """`head`, as many `lines` as fit in `limit` characters, then "…and N more", then `tail`."""
    budget = limit - len(head) - (len(tail) + 1 if tail else 0)
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index - 1
        # Keep room for the "…and N more" line unless this is the last one.
        reserve = len(f"\n…and {len(lines)} more") if rest else 0
        if used + 1 + len(line) + reserve > budget:
            break
        shown.append(line)
        used += 1 + len(line)
    more = len(lines) - len(shown)
    parts = [head, *shown]
    if more:
        parts.append(f"…and {more} more")
    if tail:
        parts.append(tail)
    return "\n".join(parts)


def ask_admins(service: LockService) -> str:
    return ", ".join(f"<@{a}>" for a in sorted(service.access.admins)) or "an admin"


@dataclass(frozen=True)
class Resolved:
    """What a typed name meant: a door, or a group and its doors."""

    name: str
    doors: list[Door]
    group: DoorGroup | None = None


async def resolve(session: AsyncSession, text: str) -> Resolved | Unknown:
    found = await resolve_name(session, text)
    if isinstance(found, Unknown):
        return found
    group = found if isinstance(found, DoorGroup) else None
    return Resolved(found.name, await covered_doors(session, found), group)


def unknown(text: str, suggestions: Sequence[str], command: str) -> str:
    said = f"“{escape(text)}”"
    if not suggestions:
        return (
            f"🤔 I don't know a door or group called {said}. `/lock list` shows the ones you "
            "may lock."
        )
    names = ", ".join(bold(s) for s in suggestions)
    return (
        f"🤔 I don't know a door or group called {said}. Did you mean {names}? "
        f"Try `/lock {command} {escape(suggestions[0].lower())}`."
    )


async def blocked_doors(
    service: LockService, session: AsyncSession, user_id: str, doors: Sequence[Door]
) -> list[Door]:
    """The doors among `doors` that `user_id` may not lock."""
    return [
        door
        for door in doors
        if door.id is None or not await service.access.may_lock(session, user_id, door.id)
    ]


def not_yours(service: LockService, what: str, target: Resolved, blocked: Sequence[Door]) -> str:
    if target.group is None:
        subject = f"{bold(target.name)} isn't one of them"
    else:
        names = ", ".join(bold(d.name) for d in blocked[:_GROUP_DOORS_SHOWN])
        extra = len(blocked) - _GROUP_DOORS_SHOWN
        names += f" and {extra} more" if extra > 0 else ""
        subject = f"{bold(target.name)} has doors you may not lock ({names})"
    return (
        f"🚫 You can only see the {what} of doors you may lock, and {subject}. "
        f"Ask {ask_admins(service)} for access."
    )


# -- /lock list ------------------------------------------------------------------------------


async def list_targets(service: LockService, user_id: str) -> str:
    async with service.db.session() as session:
        targets = await lockable_targets(session, service.access, user_id)
        ids = {door.id for door in targets.doors if door.id is not None}
        states = await door_states(session, ids)
        aliases = {door.id: names for door, names in await list_doors(session)}
    if not targets.doors:
        return nothing_to_lock(sorted(service.access.admins))
    now = utcnow()
    lines = [
        door_line(door, aliases.get(door.id, []), states.get(door.id or -1), now)
        for door in targets.doors
    ]
    for view in targets.groups:
        names = ", ".join(escape(d.name) for d in view.doors[:_GROUP_DOORS_SHOWN])
        extra = len(view.doors) - _GROUP_DOORS_SHOWN
        names += f" and {extra} more" if extra > 0 else ""
        count = f"{len(view.doors)} door{'' if len(view.doors) == 1 else 's'}"
        lines.append(f"🏢 {bold(view.group.name)} (group, {count}): {names}")
    doors = len(targets.doors)
    groups = len(targets.groups)
    head = f"🔐 *You can lock {doors} door{'' if doors == 1 else 's'}"
    head += f" and {groups} group{'' if groups == 1 else 's'}:*" if groups else ":*"
    tail = "_`/lock <name>` locks one; `/lock status <name>` asks Seam how it is right now._"
    return fit(head, lines, tail)


# -- /lock status ----------------------------------------------------------------------------

_OFFLINE = "check its power and its hub or Wi-Fi"
# Seam's codes in plain words; anything else falls back to Seam's own message.
_PLAIN = {
    "device_offline": f"The lock is offline: {_OFFLINE}.",
    "device_disconnected": f"The lock lost its connection to Seam: {_OFFLINE}.",
    "account_disconnected": "The lock maker's account is disconnected from Seam, so nothing can "
    "reach the lock. An admin must reconnect it in the Seam console.",
    "hub_disconnected": "The lock's hub or bridge is offline, so Seam can't reach the lock: "
    "check the hub's power and network.",
    "bridge_disconnected": "The Seam Bridge for this lock is offline, so Seam can't reach the "
    "lock: check the computer it runs on.",
    "salto_ks_subscription_limit_exceeded": "The Salto KS subscription has more users than it "
    "allows, so Salto blocks remote control. An admin must raise the plan or remove users.",
    "salto_ks_subscription_limit_almost_reached": "The Salto KS subscription is almost full.",
    "device_removed": "The lock was removed from its account at the lock maker. An admin should "
    "check it, then run `lockbot doors sync`.",
    "subscription_required": "The lock maker needs a paid subscription for remote control.",
    "missing_device_credentials": "Seam is missing credentials for this lock; an admin must add "
    "them in the Seam console.",
    "device_has_flaky_connection": "The lock's connection is unreliable; commands may be slow or "
    "fail.",
    "device_communication_degraded": "The lock's connection is weak; commands may be slow or fail.",
    "unreliable_online_status": "Seam can't reliably tell whether this lock is online.",
    "power_saving_mode": "The lock is in power-saving mode and may answer slowly.",
    "salto_ks_office_mode": "The lock is in office mode, so it stays unlocked.",
    "scheduled_maintenance_window": "The lock maker has scheduled maintenance; remote control may "
    "not work for a while.",
}
_LOW_BATTERY = "The battery is low: replace or charge it soon."
_CRITICAL_BATTERY = "The battery is almost empty: replace or charge it now."


def plain(problem: Problem) -> str:
    code = problem.code.lower()
    if code in _PLAIN:
        return _PLAIN[code]
    if "battery" in code and ("low" in code or "critical" in code):
        return _LOW_BATTERY
    if problem.message:
        message = problem.message.strip()
        if len(message) > _MESSAGE_MAX:
            message = message[: _MESSAGE_MAX - 1] + "…"
        return f"{escape(message)} (`{escape(problem.code)}`)"
    return f"Seam reports `{escape(problem.code)}`."


def _battery(state: DeviceState) -> str | None:
    if state.battery_level is None and state.battery_status is None:
        return None
    low = state.battery_status in ("low", "critical")
    parts = []
    if state.battery_level is not None:
        parts.append(f"{round(state.battery_level * 100)}%")
    if state.battery_status:
        parts.append(f"({escape(state.battery_status)})" if parts else escape(state.battery_status))
    return f"{'🪫' if low else '🔋'} battery {' '.join(parts)}"


def device_lines(name: str, state: DeviceState) -> list[str]:
    """One line of facts, then one line per problem Seam reports."""
    if state.locked is None:
        emoji, words = "❔", "lock state unknown"
    else:
        emoji, words = ("🔒", "locked") if state.locked else ("🔓", "unlocked")
    facts = [words + (" (last reported)" if state.online is False else "")]
    if state.online is not None:
        facts.append("online" if state.online else "📴 offline")
    if battery := _battery(state):
        facts.append(battery)
    if state.door_open is not None:
        facts.append("🚪 door open" if state.door_open else "door closed")
    lines = [f"{emoji} {bold(name)}: {' · '.join(facts)}"]
    problems = [f"⛔ {plain(p)}" for p in state.errors]
    problems += [f"⚠️ {plain(p)}" for p in state.warnings]
    said = " ".join(problems)
    if state.battery_status == "critical" and _CRITICAL_BATTERY not in said:
        problems.append(f"⚠️ {_CRITICAL_BATTERY}")
    elif state.battery_status == "low" and _LOW_BATTERY not in said:
        problems.append(f"⚠️ {_LOW_BATTERY}")
    if state.online is False and not state.errors:
        problems.append(f"⛔ The lock is offline: {_OFFLINE}.")
    return [*lines, *(f"    ↳ {p}" for p in dict.fromkeys(problems))]


def failed_lines(name: str, error: BackendError) -> list[str]:
    code = f"`{escape(error.code)}`"
    match error.kind:
        case BackendErrorKind.NOT_FOUND:
            why = (
                f"Seam doesn't know its lock ({code}). An admin should run `lockbot doors sync` "
                "and check `lockbot doors list`."
            )
        case BackendErrorKind.UNAUTHORIZED:
            why = "Seam rejected lockbot's API key; an admin must fix `SEAM_API_KEY`."
        case BackendErrorKind.UNAVAILABLE:
            why = f"couldn't get an answer from Seam ({code}). Try again in a minute."
        case _:
            why = f"Seam refused to say ({code}: {escape(error.message)})."
    return [f"⚠️ {bold(name)}: {why}"]


async def status(
    service: LockService, devices: DeviceReader, user_id: str, target: str
) -> str | Later:
    """What the database can say now (unknown name, not yours, no doors), or the Seam read to
    answer after the ack."""
    async with service.db.session() as session:
        found = await resolve(session, target)
        if isinstance(found, Unknown):
            return unknown(target, found.suggestions, "status")
        blocked = await blocked_doors(service, session, user_id, found.doors)
    if blocked:
        return not_yours(service, "status", found, blocked)
    if not found.doors:
        return f"🫙 {bold(found.name)} has no doors yet, so there is nothing to check."
    return Later(
        note=f"⏳ Asking Seam about {bold(found.name)}…",
        work=lambda: live_status(service, devices, found),
        failed=(
            f"⚠️ I couldn't get an answer from Seam about {bold(found.name)}. Try again in a minute."
        ),
    )


async def live_status(service: LockService, devices: DeviceReader, found: Resolved) -> str:
    """Each door as Seam reports it now; a door Seam fails on says so, the others still answer."""
    limit = asyncio.Semaphore(service.groups.fanout_limit)
    seen: list[tuple[str, Facts]] = []

    async def one(door: Door) -> list[str]:
        async with limit:
            try:
                state = await devices.get_lock(door.device_id)
            except BackendError as error:
                return failed_lines(door.name, error)
        seen.append((door.device_id, read_facts(state, utcnow())))
        return device_lines(door.name, state)

    answers = await asyncio.gather(*(one(door) for door in found.doors))
    # What Seam just said is the newest word on these doors (`/lock list` shows it).
    await remember(service.db, seen)
    if found.group is None:
        return fit(answers[0][0], answers[0][1:])
    # A door's problems stay with it, so each door counts as one entry when trimming.
    entries = ["\n".join(lines) for lines in answers]
    count = len(found.doors)
    head = f"🏢 {bold(found.name)}: {count} door{'' if count == 1 else 's'}, live from Seam"
    return fit(head, entries)


# -- /lock history ---------------------------------------------------------------------------

_OUTCOME = {
    LockStatus.LOCKED: ("✅", "locked"),
    LockStatus.PENDING: ("⏳", "in progress"),
    LockStatus.TIMED_OUT: ("⌛", "did not confirm"),
    LockStatus.FAILED: ("❌", "failed"),
    LockStatus.DENIED: ("🚫", "not allowed"),
    LockStatus.REJECTED: ("⏭️", "not tried"),
    LockStatus.EXPIRED: ("⌛", "not sent (too late)"),
}


def history_line(request: LockRequest, now: datetime) -> str:
    emoji, outcome = _OUTCOME[request.status]
    if request.error_type == "unknown_door":
        emoji, outcome = "🤷", "no such door"
    elif request.status in (LockStatus.FAILED, LockStatus.REJECTED) and request.error_type:
        outcome += f" (`{escape(request.error_type)}`)"
    name = bold(request.door_name) if request.door_name else f"“{escape(request.text)}”"
    via = " (group)" if request.batch_id is not None else ""
    when = f"{ago(request.created_at, now)}, {slack_date(request.created_at)}"
    line = f"{emoji} {name}{via} {outcome} · {who(request)} · {when}"
    if request.status in (LockStatus.LOCKED, LockStatus.FAILED, LockStatus.TIMED_OUT):
        line += f" · {duration(request)}"
    return line


async def history(service: LockService, user_id: str, target: str | None, limit: int) -> str:
    limit = max(1, min(limit, HISTORY_MAX))
    async with service.db.session() as session:
        visible = await visible_doors(session, service.access, user_id)
        found: Resolved | None = None
        if target is not None:
            resolved = await resolve(session, target)
            if isinstance(resolved, Unknown):
                return unknown(target, resolved.suggestions, "history")
            found = resolved
            ids = {door.id for door in found.doors if door.id is not None}
            blocked = [] if visible is None else [d for d in found.doors if d.id not in visible]
            if blocked:
                return not_yours(service, "history", found, blocked)
            rows = await recent_requests(session, ids, limit)
        elif visible is not None and not visible:
            return (
                "📭 There's no history to show you: you can only see the history of doors you "
                f"may lock, and you can't lock any yet. Ask {ask_admins(service)} for access."
            )
        else:
            rows = await recent_requests(session, visible, limit)
    if found is not None:
        scope = f"for {bold(found.name)}"
    elif visible is None:
        scope = "for every door"
    else:
        scope = "for the doors you may lock"
    if not rows:
        return f"📭 No lock requests yet {scope}."
    now = utcnow()
    count = len(rows)
    head = f"🕘 Last {count} lock request{'' if count == 1 else 's'} {scope}:"
    return fit(head, [history_line(r, now) for r in rows], limit=HISTORY_TEXT_MAX)
