"""`/lock admin help`: every subcommand, by section, in the order they were added."""

from __future__ import annotations

from bot.slack.admin.subcommands import SUBCOMMANDS
from bot.slack.admin.wording import PREFIX


def help_text() -> str:
    out = [
        "🛠️ *lockbot admin*. Put names with spaces in quotes; mention people, user groups and "
        "channels with `@` and `#`. Every change is recorded with your name."
    ]
    section = ""
    for spec in SUBCOMMANDS.values():
        if spec.section != section:
            section = spec.section
            out.append(f"*{section}*")
        out.append(f"• `{PREFIX} {spec.usage}`: {spec.about}")
    out.append(f"• `{PREFIX} help`: this message")
    return "\n".join(out)
