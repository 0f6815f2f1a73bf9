"""Block Kit for lockbot's modals, and what a submitted one says. Pure.

"Schedule a lock" (the schedule builder: `/lock schedule` alone, or the global shortcut) and
"Lock a door" (a global shortcut). Each input block's `block_id` is also its element's
`action_id`, so a field's error (`response_action: errors`) is keyed by the same name the
submission's `state.values` uses. The choices are what `lockable_targets` gives, labelled and
grouped as in the `/lock` picker, so a form never offers what its person may not lock; whatever
is submitted is checked again on the way in, as typed text is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.access import Lockable
from bot.slack.picker import option_groups
from bot.slack.words import modals as words
from bot.when import WhenError, resolve_zone

# The global shortcuts' callback ids, as manifest.yml declares them.
SCHEDULE_SHORTCUT = "lockbot_schedule_shortcut"
LOCK_SHORTCUT = "lockbot_lock_shortcut"
# The modals' callback ids: what their submissions are routed by.
SCHEDULE_VIEW = "lockbot_schedule"
LOCK_VIEW = "lockbot_lock"
TARGET, DAYS, TIME, ZONE, CHANNEL = "target", "days", "time", "zone", "channel"
UNTIL = "until"

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
_DAY_VALUES = tuple(value for value, _ in words.DAYS)
_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_ZONE_MAX = 64  # the longest IANA names are about 30 characters
_CHANNELS = {"include": ["public", "private"]}  # where the bot can be invited and post

View = dict[str, Any]
Errors = dict[str, str]  # block_id → what is wrong with that field


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    hint: str | None = None,
    optional: bool = False,
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": _text(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = _text(hint)
    return block


def _modal(callback_id: str, title: str, submit: str, blocks: list[dict[str, Any]]) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _text(title),
        "submit": _text(submit),
        "close": _text(words.CANCEL),
        "blocks": blocks,
    }


def _target(targets: Lockable) -> list[dict[str, Any]]:
    menu, left_out = option_groups(targets)
    select = {
        "type": "static_select",
        "placeholder": _text(words.TARGET_PLACEHOLDER),
        "option_groups": menu,
    }
    blocks = [_input(TARGET, words.TARGET_LABEL, select)]
    if left_out:
        note = {"type": "mrkdwn", "text": words.too_many_targets(left_out)}
        blocks.append({"type": "context", "elements": [note]})
    return blocks


def _channel(label: str, hint: str, channel: str | None, optional: bool) -> dict[str, Any]:
    select: dict[str, Any] = {
        "type": "conversations_select",
        "placeholder": _text(words.CHANNEL_PLACEHOLDER),
        "filter": _CHANNELS,
    }
    if channel:
        select["initial_conversation"] = channel
    return _input(CHANNEL, label, select, hint=hint, optional=optional)


def _day(value: str) -> dict[str, Any]:
    return {"text": _text(dict(words.DAYS)[value]), "value": value}


def schedule_builder(
    targets: Lockable, zone: str, channel: str | None = None, at: str = "22:00"
) -> View:
    """The schedule builder: what to lock, days, time, time zone (`zone`: the person's own),
    and the channel to report in (`channel`: where the command was typed, if a channel)."""
    days = {
        "type": "checkboxes",
        "options": [_day(value) for value in _DAY_VALUES],
        "initial_options": [_day(value) for value in _WEEKDAYS],
    }
    time = {"type": "timepicker", "initial_time": at}
    zone_input = {"type": "plain_text_input", "initial_value": zone, "max_length": _ZONE_MAX}
    blocks = [
        *_target(targets),
        _input(DAYS, words.DAYS_LABEL, days),
        _input(TIME, words.TIME_LABEL, time),
        _input(
            UNTIL, words.UNTIL_LABEL, {"type": "timepicker"}, hint=words.UNTIL_HINT, optional=True
        ),
        _input(ZONE, words.ZONE_LABEL, zone_input, hint=words.ZONE_HINT),
        _channel(words.REPORT_LABEL, words.REPORT_HINT, channel, optional=False),
    ]
    return _modal(SCHEDULE_VIEW, words.SCHEDULE_TITLE, words.SCHEDULE_SUBMIT, blocks)


def lock_form(targets: Lockable) -> View:
    """ "Lock a door": what to lock, and where to follow along (a DM when left empty)."""
    channel = _channel(words.FOLLOW_LABEL, words.FOLLOW_HINT, None, optional=True)
    return _modal(LOCK_VIEW, words.LOCK_TITLE, words.LOCK_SUBMIT, [*_target(targets), channel])


def notice(title: str, text: str) -> View:
    """A modal that only tells something (mrkdwn), with one button to close it."""
    return {
        "type": "modal",
        "title": _text(title),
        "close": _text(words.DONE),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


# -- what a submission says ------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleForm:
    target: str
    days: tuple[str, ...]  # `<when>` day words: mon … sun
    time: str  # HH:MM, 24-hour
    zone: str  # a canonical IANA name
    channel: str
    until: str | None = None  # HH:MM, 24-hour: a lock window's end (bot.windows)

    @property
    def when(self) -> str:
        """The same `<when>` a person could type, so bot.when reads both alike."""
        until = f" until {self.until}" if self.until else ""
        return f"at {self.time} on {','.join(self.days)}{until}"


@dataclass(frozen=True)
class LockForm:
    target: str
    channel: str | None  # None: follow along in a DM


def _field(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    field = (values.get(block_id) or {}).get(block_id)
    return field if isinstance(field, dict) else {}


def _selected(values: dict[str, Any], block_id: str, key: str) -> str:
    field = _field(values, block_id)
    chosen = field.get(key)
    if key == "selected_option":
        chosen = (chosen or {}).get("value")
    return chosen.strip() if isinstance(chosen, str) else ""


def read_schedule(values: dict[str, Any]) -> ScheduleForm | Errors:
    """A submitted schedule builder (`view.state.values`), or every field's error at once."""
    errors: Errors = {}
    target = _selected(values, TARGET, "selected_option")
    if not target:
        errors[TARGET] = words.PICK_TARGET
    ticked = [o.get("value") for o in _field(values, DAYS).get("selected_options") or []]
    if unknown := [str(d) for d in ticked if d not in _DAY_VALUES]:
        errors[DAYS] = words.unknown_days(unknown)
    elif not ticked:
        errors[DAYS] = words.PICK_DAYS
    time = _selected(values, TIME, "selected_time")
    if not _HH_MM.fullmatch(time):
        errors[TIME] = words.PICK_TIME
    until = _selected(values, UNTIL, "selected_time") or None
    if until is not None and not _HH_MM.fullmatch(until):
        errors[UNTIL] = words.PICK_TIME
    elif until is not None and until == time:
        errors[UNTIL] = words.UNTIL_IS_START
    zone = _selected(values, ZONE, "value")
    if not zone:
        errors[ZONE] = words.PICK_ZONE
    else:
        try:
            zone = resolve_zone(zone)
        except WhenError:
            errors[ZONE] = words.bad_zone(zone)
    channel = _selected(values, CHANNEL, "selected_conversation")
    if not channel:
        errors[CHANNEL] = words.PICK_CHANNEL
    if errors:
        return errors
    days = tuple(d for d in _DAY_VALUES if d in ticked)
    return ScheduleForm(target, days, time, zone, channel, until)


def read_lock(values: dict[str, Any]) -> LockForm | Errors:
    target = _selected(values, TARGET, "selected_option")
    if not target:
        return {TARGET: words.PICK_TARGET}
    return LockForm(target, _selected(values, CHANNEL, "selected_conversation") or None)
