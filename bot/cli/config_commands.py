"""`lockbot config apply|export`: doors, aliases, groups and grants as one YAML file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot import config_file
from bot.cli.common import fail, in_session, operator

config_app = typer.Typer(
    help="Doors, aliases, groups and grants as one YAML file, to keep in git.",
    no_args_is_help=True,
)


@config_app.command("apply")
def apply(
    file: Annotated[
        str, typer.Argument(metavar="FILE.yml", help="The config file, or - for standard input.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
) -> None:
    """Make doors, groups and grants match FILE exactly: add, change and remove."""
    source = "<stdin>" if file == "-" else file
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise fail(f"cannot read {file}: {error.strerror or error}") from None
    try:
        config = config_file.load(data, source)
    except config_file.ConfigError as error:
        for line in error.lines():
            typer.echo(line, err=True)
        raise fail(f"{error}; nothing was changed") from None
    actor = operator()
    result = in_session(
        lambda s: config_file.apply(s, config, actor=actor, source=source, dry_run=dry_run)
    )
    for change in result.changes:
        typer.echo(change.line)
    if not result.changes:
        typer.echo(f"✓ no changes: the database already matches {source}")
    elif dry_run:
        typer.echo(f"✓ dry run, nothing written: {config_file.counts_text(result, future=True)}")
    else:
        typer.echo(f"✓ applied {source}: {config_file.counts_text(result, future=False)}")


@config_app.command("export")
def export(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
) -> None:
    """Print doors, groups and grants as a config file, in the format apply reads."""
    text = in_session(config_file.export)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise fail(f"cannot write {output}: {error.strerror or error}") from None
    typer.echo(f"✓ wrote {output}")
