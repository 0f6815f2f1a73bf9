"""`lockbot schedules …`: recurring locks from the terminal, through the same operations as
`/lock schedule…` (bot.schedules). The running bot picks changes up by itself: at once through
NOTIFY on PostgreSQL, within its 5 s reload on SQLite, so nothing here talks to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli.common import echo_lines, fail, in_session, operator, settings
from bot.text import local_time

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.config import Settings
    from bot.ports import GroupDirectory
    from bot.schedules import Schedules, ScheduleView

T = TypeVar("T")

schedules_app = typer.Typer(
    help="Recurring locks: lock a door or group on a schedule, reporting in a Slack channel.",
    no_args_is_help=True,
)

AsUser = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Create it for this Slack user ID (U…); it then runs only while they may lock "
        "the target. Default: you, as cli:<login>.",
    ),
]


def _describe(item: ScheduleView) -> str:
    s = item.schedule
    state = "paused" if s.paused else "active"
    return (
        f"{item.id}\t{s.target}\t{item.describe()}\t{state}\tin {s.channel_id}\tby {s.created_by}"
    )


def _next_runs(item: ScheduleView) -> str:
    zone = item.schedule.timezone
    if not item.next_runs:
        return "  no runs while paused"
    runs = ", ".join(local_time(t, zone, year=True) for t in item.next_runs)
    return f"  next runs: {runs} ({zone})"


def _groups(config: Settings) -> GroupDirectory:
    """Slack user groups when a bot token is set, so `--as U…` counts group grants as the bot
    would at run time; without one, nothing is known about groups."""
    if config.slack_bot_token.get_secret_value():
        from bot.runtime import slack_client
        from bot.slack.usergroups import SlackGroups

        return SlackGroups(slack_client(config))
    from bot.cli.console import NoGroups

    return NoGroups()


def _as_operator(
    work: Callable[[AsyncSession, Schedules, str], Awaitable[T]], config: Settings | None = None
) -> T:
    """Run one Schedules operation as this terminal's operator, who is an admin here (as for
    every other terminal command), so the limits on how often and how many do not apply:
    whoever runs the terminal can change the database anyway."""
    from bot.access import AccessPolicy
    from bot.schedules import Limits, Schedules

    config = config or settings()
    actor = operator()
    # No on_change: the bot in another process learns of the change from the database.
    limits = Limits(relock_min=timedelta(seconds=config.relock_min_s))
    schedules = Schedules(AccessPolicy(config.admins | {actor}, _groups(config)), limits=limits)
    return in_session(lambda session: work(session, schedules, actor), config)


@schedules_app.command("add")
def schedules_add(
    target: Annotated[str, typer.Argument(help='A door or group name, e.g. "Front Door".')],
    when: Annotated[
        str,
        typer.Argument(
            help='e.g. "every weekday at 22:00", "cron 0 22 * * 1-5", or a lock window: '
            '"weekdays at 22:00 until 07:00".'
        ),
    ],
    channel: Annotated[
        str, typer.Option("--channel", help="Slack channel ID (C…) the runs report in.")
    ],
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="Time zone when WHEN names none (default: LOCKBOT_TIMEZONE)."),
    ] = None,
    relock_after: Annotated[
        str | None,
        typer.Option(
            "--relock-after",
            help='For a window: lock a door unlocked inside it again after this long ("5m", '
            'the default; at least 1m), or "never".',
        ),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Lock TARGET on a schedule; each run reports in --channel."""
    from bot.ids import is_user_id

    if as_user is not None and not is_user_id(as_user):
        raise fail(f"--as takes a Slack user ID (U… or W…), not {as_user!r}")
    config = settings()
    zone = tz or config.timezone
    if relock_after is not None:
        relock = "never" if relock_after.strip().lower() == "never" else f"after {relock_after}"
        when = f"{when} relock {relock}"

    async def work(session: AsyncSession, schedules: Schedules, actor: str) -> ScheduleView:
        creator = as_user or actor
        return await schedules.add(session, creator, target, when, channel, zone, actor=actor)

    item = _as_operator(work, config)
    s = item.schedule
    typer.echo(
        f"✓ schedule {item.id}: lock {s.target} {item.describe()}, reporting in "
        f"{s.channel_id}, as {s.created_by}"
    )
    typer.echo(_next_runs(item))


@schedules_app.command("list")
def schedules_list() -> None:
    """Every schedule: id, target, when, state, channel and creator."""
    items = _as_operator(lambda s, schedules, actor: schedules.visible(s, actor))
    echo_lines(
        [line for item in items for line in (_describe(item), _next_runs(item))],
        empty='No schedules yet. Add one with: lockbot schedules add "Front Door" '
        '"every weekday at 22:00" --channel C0123456789',
    )


@schedules_app.command("remove")
def schedules_remove(schedule_id: int) -> None:
    """Remove a schedule; runs already made stay in the history."""
    removed = _as_operator(lambda s, schedules, actor: schedules.remove(s, actor, schedule_id))
    typer.echo(f"✓ removed schedule {schedule_id} ({removed.target})")


@schedules_app.command("pause")
def schedules_pause(schedule_id: int) -> None:
    """Stop a schedule's runs until `resume`; runs in between are skipped, not reported."""
    item = _as_operator(lambda s, schedules, actor: schedules.pause(s, actor, schedule_id))
    typer.echo(f"✓ paused schedule {item.id}: {item.schedule.target} {item.describe()}")


@schedules_app.command("resume")
def schedules_resume(schedule_id: int) -> None:
    """Run a paused schedule again, from its next fire time on."""
    item = _as_operator(lambda s, schedules, actor: schedules.resume(s, actor, schedule_id))
    typer.echo(f"✓ resumed schedule {item.id}: {item.schedule.target} {item.describe()}")
    typer.echo(_next_runs(item))
