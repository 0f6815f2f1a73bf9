"""`lockbot demo`: see lockbot work in a browser, without Slack or locks."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail
from bot.logs import configure
from bot.standins.seam_server import CHECKOUT_FAKE


def demo(
    port: Annotated[
        int, typer.Option(help="The page's port on 127.0.0.1 (0: any free one).")
    ] = 8080,
    seam_fake: Annotated[
        Path, typer.Option(help="Seam's fake server (a checkout's tests/fakes/seam, after npm ci).")
    ] = CHECKOUT_FAKE,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show the bot's log lines.")] = False,
) -> None:
    """Run the real bot against Seam's fake server and a Slack stand-in, with a page to drive it.

    Everything listens on 127.0.0.1 and lives in a temporary directory; Ctrl-C stops it all.
    Needs a checkout (`make demo` installs Seam's fake with npm, then runs this)."""
    from bot.demo.stage import run

    configure([], level=logging.INFO if verbose else logging.WARNING, fmt="text")
    try:
        asyncio.run(run(port, seam_fake))
    except (OSError, RuntimeError) as error:  # a port taken, no node, no `npm ci` yet
        raise fail(f"the demo could not start: {error}") from None
