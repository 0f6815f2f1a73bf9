"""`/lock admin` answers about device news: mutes, where news goes, quiet hours."""

from __future__ import annotations

from collections.abc import Sequence

from bot.events import MuteView
from bot.models import Door, DoorGroup, QuietHours
from bot.slack.words.admin import PREFIX, listing
from bot.slack.words.common import bold
from bot.text import escape

_MUTE_HINT = f'`{PREFIX} mute "Front Door" device.disconnected`'


def news_of(target: Door | DoorGroup) -> str:
    if isinstance(target, DoorGroup):
        return f"the {bold(target.name)} group's doors"
    return bold(target.name)


def muted(target: Door | DoorGroup, kind: str, added: bool) -> str:
    if not added:
        return f"👌 `{kind}` was already muted for {news_of(target)}."
    return f"🔇 No more `{kind}` news from {news_of(target)}."


def unmuted(target: Door | DoorGroup, kind: str, removed: bool) -> str:
    if not removed:
        return f"⚠️ `{kind}` was not muted for {news_of(target)}, so nothing changed."
    return f"🔔 `{kind}` news from {news_of(target)} is told again."


def mutes(rows: Sequence[MuteView]) -> str:
    if not rows:
        return f"🔔 Nothing is muted. Mute news with {_MUTE_HINT}."
    held: dict[str, list[str]] = {}
    for row in rows:
        held.setdefault(row.target, []).append(f"`{row.event_type}`")
    lines = []
    for target, kinds in held.items():
        group = target.removesuffix(" (group)")
        name = f"{bold(group)} (group)" if group != target else bold(target)
        lines.append(f"• {name}: {', '.join(kinds)}")
    return listing("🔇 *Muted device news*", lines, "`lockbot events mutes` shows them all.")


def news_goes(target: Door | DoorGroup, via: DoorGroup | None) -> str:
    """Where a door's or group's news goes now: its own channel, the channel of the group
    (`via`) it takes it from, else the default."""
    if target.alert_channel is None and via is not None:
        return (
            f"📣 News from {news_of(target)} goes to <#{escape(via.alert_channel or '')}>, "
            f"the {bold(via.name)} group's channel."
        )
    if target.alert_channel is None:
        return f"📣 News from {news_of(target)} goes to the default alert channel."
    return f"📣 News from {news_of(target)} goes to <#{escape(target.alert_channel)}>."


def news_moved(target: Door | DoorGroup, channel: str | None) -> str:
    if channel is None:
        return f"📣 News from {news_of(target)} goes to the default alert channel again."
    return f"📣 News from {news_of(target)} now goes to <#{escape(channel)}>."


def _quiet_line(row: QuietHours) -> str:
    return f"<#{escape(row.channel_id)}> is quiet {row.start}–{row.end} ({escape(row.timezone)})"


def quiet_hours(rows: Sequence[QuietHours]) -> str:
    if not rows:
        example = f"`{PREFIX} quiet #alerts 22:00-07:00`"
        return f"🔔 No channel has quiet hours. Set some with {example}."
    return listing("🌙 *Quiet hours*", [f"• {_quiet_line(r)}" for r in rows], "")


def quiet_of(channel: str, row: QuietHours | None) -> str:
    if row is None:
        return f"🔔 <#{escape(channel)}> has no quiet hours."
    return f"🌙 {_quiet_line(row)}."


def quiet_ended(channel: str, removed: bool) -> str:
    if not removed:
        return f"⚠️ <#{escape(channel)}> had no quiet hours, so nothing changed."
    return f"🔔 <#{escape(channel)}> has no quiet hours now: all device news is posted."


def quiet_set(row: QuietHours) -> str:
    return f"🌙 {_quiet_line(row)}: only tampering and unexpected unlocks are posted then."
