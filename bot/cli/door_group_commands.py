"""`lockbot groups …`: door groups, several doors locked with one name."""

from __future__ import annotations

from typing import Annotated

import typer

from bot import admin, door_groups
from bot.cli.common import admin_change, echo_lines, in_session
from bot.cli.event_commands import AlertChannel, DefaultFlag, alerts

groups_app = typer.Typer(
    help="Door groups: several doors locked with one name.", no_args_is_help=True
)


def group_line(view: door_groups.GroupView) -> str:
    return f"{view.group.name}\t{', '.join(d.name for d in view.doors) or '(no doors)'}"


@groups_app.command("add")
def groups_add(
    name: str,
    door: Annotated[
        list[str] | None, typer.Argument(help="Doors to add.", show_default=False)
    ] = None,
) -> None:
    """Make a group, or add doors to one. `lockbot lock NAME` then locks all its doors."""
    view = admin_change(lambda s, actor: admin.add_group(s, actor, name, door or []))
    typer.echo(f"✓ {group_line(view)}")


@groups_app.command("list")
def groups_list() -> None:
    """Every group and its doors."""
    views = in_session(door_groups.list_groups)
    echo_lines(
        [group_line(view) for view in views],
        empty='No groups yet. Add one with: lockbot groups add "Floor 2" "Front Door"',
    )


@groups_app.command("remove")
def groups_remove(name: str) -> None:
    """Remove a group and the grants that name it. Its doors stay."""
    group = admin_change(lambda s, actor: admin.remove_group(s, actor, name))
    typer.echo(f"✓ removed group {group.name}")


@groups_app.command("remove-doors")
def groups_remove_doors(name: str, door: list[str]) -> None:
    """Take doors out of a group. The doors stay."""
    view = admin_change(lambda s, actor: admin.remove_from_group(s, actor, name, door))
    typer.echo(f"✓ {group_line(view)}")


@groups_app.command("alerts")
def groups_alerts(name: str, channel: AlertChannel = None, default: DefaultFlag = False) -> None:
    """Send the device news of a group's doors to a channel (a door's own channel wins)."""
    alerts(name, channel, default, "group")
