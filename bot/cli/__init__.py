"""`lockbot` at the terminal (typer). `main` is the console script and `python -m bot`; the root
app and its own commands are in `root`, the shared helpers in `common`, each command group in a
module of its own."""

from bot.cli.root import app, main

__all__ = ["app", "main"]
