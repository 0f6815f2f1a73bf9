"""`lockbot config apply|export`: doors, aliases, groups and grants as one YAML file."""

from __future__ import annotations

import typer

config_app = typer.Typer(
    help="Doors, aliases, groups and grants as one YAML file, to keep in git.",
    no_args_is_help=True,
)
