"""The App Home: a person's doors and groups with their state and a Lock button, their schedules
with Pause or Resume, and for admins what needs attention. Pure: facts in, a `home` view out,
within Slack's limits (100 blocks; 3000 characters a section; 75 a button or option label).

The view stays on screen for as long as the tab is open, so its times are dates Slack shows in
the reader's zone ("as of Today 10:02"), not "5 min ago", which would go stale."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.attention import Attention, battery_low
from bot.door_groups import GroupView
from bot.door_state import DoorState
from bot.models import Door, LockRequest, LockStatus
from bot.schedules import LastRun, ScheduleView
from bot.slack.words.common import TEXT_MAX, bold, count, fit, pretty_date, who_asked
from bot.slack.words.doors import state_words
from bot.slack.words.locks import door_label, group_label, nothing_to_lock
from bot.text import escape

BLOCKS_MAX = 100  # Slack's limit for a Home view
LOCK_ACTION = "home_lock"  # a Lock button, or the menu past the block limit
PAUSE_ACTION = "home_pause"
RESUME_ACTION = "home_resume"
SCHEDULES_SHOWN = 20  # the rest are one `/lock schedules` away
_LABEL_MAX = 75
_OPTIONS_MAX = 100  # per option group
_NAMES_SHOWN = 8  # a group's doors, named in its line


@dataclass(frozen=True)
class HomeFacts:
    """What one person's Home shows; `attention` only for admins."""

    doors: Sequence[tuple[Door, DoorState | None]]
    groups: Sequence[GroupView]
    schedules: Sequence[tuple[ScheduleView, LastRun | None]]
    attention: Attention | None
    admins: Collection[str]
    now: datetime


def as_of(moment: datetime) -> str:
    return f"· as of {pretty_date(moment)}"


def _plain(text: str, limit: int = _LABEL_MAX) -> dict[str, Any]:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": short, "emoji": True}


def _text(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:TEXT_MAX]}}


def _with_button(text: str, label: str, action_id: str, value: str) -> dict[str, Any]:
    button = {"type": "button", "text": _plain(label), "action_id": action_id, "value": value}
    return _text(text) | {"accessory": button}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:TEXT_MAX]}]}


# -- doors and groups ------------------------------------------------------------------------


def connection(state: DoorState) -> tuple[str, str] | None:
    """("📴", "offline · as of …"), or None when nothing is known."""
    if state.online is None:
        return None
    emoji, words = ("🟢", "online") if state.online else ("📴", "offline")
    return emoji, f"{words} {as_of(state.online_at)}" if state.online_at else words


def battery(state: DoorState) -> tuple[str, str] | None:
    """("🪫", "battery low 12% · as of …"), or None when nothing is known."""
    if state.battery_level is None and state.battery_status is None:
        return None
    low = battery_low(state)
    words = "battery low" if low else "battery"
    if state.battery_level is not None:
        words += f" {round(state.battery_level * 100)}%"
    elif state.battery_status and not low:
        words += f" {escape(state.battery_status)}"
    return (
        "🪫" if low else "🔋",
        f"{words} {as_of(state.battery_at)}" if state.battery_at else words,
    )


def door_text(door: Door, state: DoorState | None, now: datetime) -> str:
    """ "🔒 *Front Door*: locked by lockbot (<@U1>) · as of …", then its connection and battery."""
    emoji, words = state_words(state, now, as_of)
    lines = [f"{emoji} {bold(door.name)}: {words}"]
    facts = [fact for fact in (connection(state), battery(state)) if fact] if state else []
    if facts:
        lines.append(", ".join(f"{mark} {fact}" for mark, fact in facts))
    if door.missing_at is not None:
        lines.append(f"🚪 missing from Seam since {pretty_date(door.missing_at)}: can't be locked")
    return "\n".join(lines)


def group_text(view: GroupView) -> str:
    names = ", ".join(escape(d.name) for d in view.doors[:_NAMES_SHOWN])
    more = f" and {len(view.doors) - _NAMES_SHOWN} more" if len(view.doors) > _NAMES_SHOWN else ""
    return f"🏢 {bold(view.group.name)} · {count(len(view.doors), 'door')}: {names}{more}"


def _lock(text: str, name: str) -> dict[str, Any]:
    return _with_button(text, "🔒 Lock", LOCK_ACTION, name)


def _pack(lines: Sequence[str], blocks: int) -> list[dict[str, Any]]:
    """`lines` in as few sections as hold them, at most `blocks`; the last one counts what does
    not fit."""
    chunks: list[list[str]] = []
    size = TEXT_MAX
    for line in lines:
        if size + 1 + len(line) > TEXT_MAX:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += 1 + len(line)
    if len(chunks) <= blocks:
        return [_text("\n".join(chunk)) for chunk in chunks]
    rest = [line for chunk in chunks[blocks - 1 :] for line in chunk]
    last = fit(rest[0], rest[1:], "`/lock list` shows them all.")
    return [*(_text("\n".join(chunk)) for chunk in chunks[: blocks - 1]), _text(last)]


def _options(title: str, choices: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """(label, target name) pairs as option groups of at most 100 options each."""
    out = []
    for start in range(0, len(choices), _OPTIONS_MAX):
        chunk = choices[start : start + _OPTIONS_MAX]
        label = (
            title if len(choices) <= _OPTIONS_MAX else f"{title} {start + 1}–{start + len(chunk)}"
        )
        options = [{"text": _plain(text), "value": value} for text, value in chunk]
        out.append({"label": _plain(label), "options": options})
    return out


def _menu(facts: HomeFacts) -> dict[str, Any]:
    """One menu of every target, for when a button each would pass Slack's block limit."""
    groups = [(group_label(g), g.group.name) for g in facts.groups]
    doors = [(door_label(d), d.name) for d, _ in facts.doors if d.missing_at is None]
    menu = {
        "type": "static_select",
        "action_id": LOCK_ACTION,
        "placeholder": _plain("Choose a door or group to lock"),
        "option_groups": [*_options("Groups", groups), *_options("Doors", doors)][:_OPTIONS_MAX],
    }
    return {"type": "actions", "elements": [menu]}


def targets(facts: HomeFacts, budget: int) -> list[dict[str, Any]]:
    """The doors and groups, a Lock button each; past `budget` blocks, their states as text and
    one menu to lock from."""
    title = _text("*🚪 Doors and groups you may lock*")
    if not facts.doors:
        return [title, _text(nothing_to_lock(facts.admins))]
    group_lines = [group_text(g) for g in facts.groups]
    door_lines = [door_text(d, s, facts.now) for d, s in facts.doors]
    if 1 + len(group_lines) + len(door_lines) <= budget:
        groups = [_lock(t, g.group.name) for t, g in zip(group_lines, facts.groups, strict=True)]
        doors = [
            _text(text) if door.missing_at is not None else _lock(text, door.name)
            for text, (door, _) in zip(door_lines, facts.doors, strict=True)
        ]
        return [title, *groups, *doors]
    return [title, _menu(facts), *_pack([*group_lines, *door_lines], budget - 2)]


# -- schedules -------------------------------------------------------------------------------


def last_result(last: LastRun | None) -> str:
    if last is None:
        return "no runs yet"
    run, batch = last.run, last.batch
    when = pretty_date(run.fire_at)
    match run.outcome:
        case "claimed":
            return f"⏳ starting {when}"
        case "missed":
            return f"⏰ missed {when}: the bot was down"
        case "gone":
            return f"🚪 not run {when}: its door or group is gone"
        case "denied":
            return f"🚫 not run {when}: its owner may no longer lock it"
    if batch is None or batch.status is LockStatus.PENDING:
        return f"⏳ running since {when}"
    if batch.status is LockStatus.LOCKED:
        return f"✅ locked {when}"
    return f"⚠️ {escape(batch.summary or batch.status.value)} ({when})"


def schedule_block(item: ScheduleView, last: LastRun | None) -> dict[str, Any]:
    s = item.schedule
    state = "⏸️ paused" if s.paused else f"next run {pretty_date(item.next_runs[0])}"
    text = (
        f"⏰ `{item.id}` {bold(s.target)}: {escape(item.describe())}\n"
        f"{state} · last run: {last_result(last)}"
    )
    if s.paused:
        return _with_button(text, "▶️ Resume", RESUME_ACTION, str(item.id))
    return _with_button(text, "⏸️ Pause", PAUSE_ACTION, str(item.id))


def schedules(items: Sequence[tuple[ScheduleView, LastRun | None]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"type": "divider"}, _text("*⏰ Your schedules*")]
    if not items:
        return [
            *out,
            _context("None yet. Add one with `/lock schedule front door every weekday at 22:00`."),
        ]
    out += [schedule_block(item, last) for item, last in items[:SCHEDULES_SHOWN]]
    if len(items) > SCHEDULES_SHOWN:
        out.append(_context(f"…and {len(items) - SCHEDULES_SHOWN} more: `/lock schedules`."))
    return out


# -- what needs an admin ---------------------------------------------------------------------


_LATE = {LockStatus.TIMED_OUT: "did not confirm", LockStatus.EXPIRED: "was not sent in time"}


def failure_line(request: LockRequest) -> str:
    """ "❌ *Back Door* failed (`device_offline`) Today 10:02, asked by <@U1>"."""
    name = bold(request.door_name or request.text)
    at = pretty_date(request.finished_at or request.created_at)
    if request.status in _LATE:
        return f"⌛ {name} {_LATE[request.status]} {at}, asked by {who_asked(request)}"
    error = escape(request.error_type or "error")
    return f"❌ {name} failed (`{error}`) {at}, asked by {who_asked(request)}"


def attention_lines(attention: Attention) -> list[str]:
    lines = []
    for door, state in attention.offline:
        emoji, words = connection(state) or ("📴", "offline")
        lines.append(f"{emoji} {bold(door.name)}: {words}")
    for door, state in attention.low_battery:
        emoji, words = battery(state) or ("🪫", "battery low")
        lines.append(f"{emoji} {bold(door.name)}: {words}")
    lines += [failure_line(r) for r in attention.failures]
    if attention.failures_total > len(attention.failures):
        more = attention.failures_total - len(attention.failures)
        lines.append(f"…and {count(more, 'more failure')} in the last 24 h: `/lock history`")
    for door in attention.missing:
        since = f" since {pretty_date(door.missing_at)}" if door.missing_at else ""
        lines.append(
            f"🚪 {bold(door.name)} is missing from Seam{since}: check the lock, then "
            "`/lock admin sync`"
        )
    return lines


def admin(attention: Attention) -> list[dict[str, Any]]:
    head = "*🛠️ Needs attention*"
    if attention.empty:
        body = _text(
            f"{head}\n✅ Nothing: every lock is online, no battery is low, no door is missing "
            "from Seam, and nothing failed in the last 24 h."
        )
    else:
        body = _text(fit(head, attention_lines(attention)))
    return [{"type": "divider"}, body, _context("🛠️ Admin commands: `/lock admin help`")]


# -- the view --------------------------------------------------------------------------------


def home_view(facts: HomeFacts) -> dict[str, Any]:
    head = [
        {"type": "header", "text": _plain("🔐 lockbot", 150)},
        _context(
            "Tap *Lock*, or type `/lock &lt;door&gt;` anywhere. What you lock here is told in our "
            f"Messages tab. Updated {pretty_date(facts.now)}."
        ),
    ]
    tail = schedules(facts.schedules)
    if facts.attention is not None:
        tail += admin(facts.attention)
    doors = targets(facts, BLOCKS_MAX - len(head) - len(tail))
    return {"type": "home", "blocks": [*head, *doors, *tail]}
