"""The front door for `/lock` over HTTP: a signed slash command is answered without going
through Bolt's dispatch.

Why: under a burst, Bolt's own work per request (turning the body into a request, running its
middleware chain, matching every listener, building the ack) cost more of the one event loop
than a whole bare Bolt app's ack (docs/benchmarks.md, Profile). `/lock` is the one request a
burst is made of, so it alone comes this way; it is answered by the same code Bolt's listener
calls (`SlackCommands.answer`), with the same words.

What Bolt would check, this checks with slack_sdk's own `SignatureVerifier`: the signature over
the raw body and a timestamp within five minutes. Anything it cannot verify, or that is not a
`/lock` slash command, goes to Bolt unchanged, so a forgery is refused by Bolt, in Bolt's words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

LOCK_COMMAND = "/lock"
# Slack form-encodes the slash, so a body that lacks this is not ours (a cheap first look).
_LOCK_FIELD = b"command=%2Flock"

AnswerCommand = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]


def _is_form(body: bytes, content_type: str | None) -> bool:
    """Read as a form only what Bolt reads as one: a JSON body (an event) may hold, inside a
    string Slack signed as it was, text such as `&command=%2Flock&user_id=…`, which a form
    parser would take for fields. In a real form every value is percent-encoded."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind == "application/x-www-form-urlencoded" and not body.startswith(b"{")


class CommandFront:
    def __init__(self, signing_secret: str, answer: AnswerCommand) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.answer = answer

    async def take(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any] | None:
        """The ack's payload for a signed `/lock`; None: not one, Bolt's to answer."""
        if _LOCK_FIELD not in body or not _is_form(body, headers.get("Content-Type")):
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        timestamp = headers.get("X-Slack-Request-Timestamp")
        try:
            signed = self.verifier.is_valid(text, timestamp, headers.get("X-Slack-Signature"))
        except ValueError:  # a timestamp that is not a number
            return None
        if not signed:
            return None
        fields = dict(parse_qsl(text, keep_blank_values=True))  # as Bolt parses a form
        if fields.get("command") != LOCK_COMMAND or "ssl_check" in fields or "payload" in fields:
            return None
        return await self.answer(fields)
