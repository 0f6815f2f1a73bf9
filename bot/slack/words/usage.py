"""The answers of `/lock` itself: its help, a command it cannot read, and its own failure."""

from __future__ import annotations

from bot.text import escape


def invalid(reason: str) -> str:
    return f"⚠️ {escape(reason)} Try `/lock help`."


def command_failed() -> str:
    return (
        "⚠️ Something went wrong on lockbot's side and nothing changed. Try again in a minute; "
        "if it keeps happening, tell an admin."
    )


HELP = """*lockbot* locks doors through Seam. Commands:
• `/lock`: buttons for the doors and groups you may lock.
• `/lock &lt;door or group&gt;`: lock it, for example `/lock front door` or `/lock floor 2`. Case, \
spaces, `-` and `_` don't matter, and aliases work. Progress and the outcome appear in a thread \
under the bot's message; failures also go to the alert channel.
• `/lock list`: what you may lock, with each door's last known state.
• `/lock status &lt;door or group&gt;`: live from Seam: locked, online, battery, door open, \
problems.
• `/lock history [door] [N]`: the last N lock requests (default 10).
• `/lock schedule &lt;door or group&gt; &lt;when&gt;`: lock it on a schedule, for example \
`/lock schedule floor 2 weekdays at 22:00` or `… cron 0 22 * * 1-5 in Europe/Berlin` \
(your Slack time zone unless you say `in &lt;zone&gt;`). `/lock schedule` alone opens a form. \
Add `until 07:00` to keep it locked until then: an unlock is told here and locked again \
5 min later (`relock after 10m`, or `relock never`, at the end).
• `/lock schedules`, `/lock pause &lt;id&gt;`, `/lock resume &lt;id&gt;`, \
`/lock unschedule &lt;id&gt;`.
• `/lock admin help`: for admins: doors, aliases, groups, channels, grants, sync, audit \
(also in the terminal: `lockbot doors|groups|grant|config …`).
• `/lock help`: this message."""
