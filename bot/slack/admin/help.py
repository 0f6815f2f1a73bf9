"""`/lock admin help`: every subcommand, by section, in the order they were added."""

from __future__ import annotations

from bot.slack.admin.subcommands import SUBCOMMANDS
from bot.slack.words.admin import HELP_INTRO, help_entry


def help_text() -> str:
    out = [HELP_INTRO]
    section = ""
    for spec in SUBCOMMANDS.values():
        if spec.section != section:
            section = spec.section
            out.append(f"*{section}*")
        out.append(help_entry(spec.usage, spec.about))
    out.append(help_entry("help", "this message"))
    return "\n".join(out)
