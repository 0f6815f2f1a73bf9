"""`lockbot grant|revoke|grants|audit`: who may lock what, and the trail of changes.

These are top-level commands: bot.cli.root registers them on its root app.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

import typer

from bot import access, admin, audit
from bot.cli.common import admin_change, echo_lines, fail, in_session, settings
from bot.models import AuditEvent

Subject = Annotated[str, typer.Argument(help="Slack user (U…/W…) or user group (S…) ID.")]
Target = Annotated[
    str | None,
    typer.Argument(help="Door, group, or '*' for every door.", show_default=False),
]
AdminFlag = Annotated[bool, typer.Option("--admin", help="Admin rights instead of a door.")]


def grant_target(target: str | None, as_admin: bool) -> str | None:
    """The TARGET for bot.admin: None means admin."""
    if as_admin and target is not None:
        raise fail("give a door, a group or '*', or --admin; not both")
    if not as_admin and target is None:
        raise fail("say what: a door, a group, '*' for every door, or --admin")
    return target


def grant(subject: Subject, target: Target = None, as_admin: AdminFlag = False) -> None:
    """Allow a user or user group to lock a door, a group or every door; or to administer."""
    what = grant_target(target, as_admin)
    added = admin_change(lambda s, actor: admin.grant(s, actor, subject, what))
    if what is None:
        typer.echo(f"✓ {subject} is an admin" + ("" if added else " (already was)"))
    else:
        typer.echo(f"✓ {subject} may lock {what}" + ("" if added else " (already could)"))


def revoke(subject: Subject, target: Target = None, as_admin: AdminFlag = False) -> None:
    """Take back a grant."""
    what = grant_target(target, as_admin)
    removed = admin_change(lambda s, actor: admin.revoke(s, actor, subject, what))
    if what is None:
        still = subject in settings().admins
        if not removed:
            why = "; LOCKBOT_ADMINS makes them one, and only it can change that" if still else ""
            raise fail(f"{subject} had no admin grant{why}")
        typer.echo(
            f"✓ {subject} is no longer an admin by grant"
            + (" (still one through LOCKBOT_ADMINS)" if still else "")
        )
        return
    if not removed:
        raise fail(f"{subject} had no grant for {what}")
    typer.echo(f"✓ {subject} may no longer lock {what}")


def grants() -> None:
    """Who may lock what (a door, 'NAME (group)' or '*'), and who is an admin."""
    rows = in_session(access.list_grants)
    configured = sorted(settings().admins)
    if not rows and not configured:
        typer.echo('No grants yet. Add one with: lockbot grant U0123ABCD "Front Door"')
    for subject, what in rows:
        typer.echo(f"{subject}\t{what}")
    for subject in configured:
        typer.echo(f"{subject}\t{access.ADMIN_LABEL} (LOCKBOT_ADMINS)")


def audit_log(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many changes.")] = 20,
) -> None:
    """The last changes to doors, groups and access: when, who, what. Newest first."""
    events = in_session(lambda s: audit.recent(s, limit))
    echo_lines([audit_line(event) for event in events], empty="No changes recorded yet.")


def audit_line(event: AuditEvent) -> str:
    when = event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    detail = f"\t{event.detail}" if event.detail else ""
    return f"{when}\t{event.actor}\t{event.action}\t{event.target}{detail}"
