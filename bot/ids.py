"""The shapes of Slack IDs. Access and routing compare IDs, never names, which people change."""

from __future__ import annotations

import re

_USER = re.compile(r"[UW][A-Z0-9]{1,30}")
_GROUP = re.compile(r"S[A-Z0-9]{1,30}")
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,30}")


def is_user_id(text: str) -> bool:
    return bool(_USER.fullmatch(text))


def is_group_id(text: str) -> bool:
    return bool(_GROUP.fullmatch(text))


def is_channel_id(text: str) -> bool:
    return bool(_CHANNEL.fullmatch(text))
