"""`/lock admin` on a real database: each subcommand's answer, exactly, and the domain's
refusals in Slack's words, with the commands an admin types in Slack."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.access import AccessPolicy
from bot.db import Database
from bot.door_sync import ListedLock
from bot.locking import LockService
from bot.ports import Attempt, DeviceState
from bot.scheduler import Scheduler
from bot.slack.admin import run_admin
from bot.slack.later import Later
from tests.support.doubles import NoGroups, Recorder

ADMIN = "UADMIN"


class Seam:
    """Never asked: admin commands other than `sync` and `status` do not reach Seam."""

    async def lock_door(self, device_id: str) -> Attempt:
        raise AssertionError("no lock from /lock admin")

    async def get_attempt(self, attempt_id: str) -> Attempt:
        raise AssertionError("no lock from /lock admin")

    async def get_lock(self, device_id: str) -> DeviceState:
        raise AssertionError("not asked")

    async def list_locks(self) -> Sequence[ListedLock]:
        raise AssertionError("not asked")


@pytest.fixture
def service(db: Database, scheduler: Scheduler) -> LockService:
    return LockService(db, Seam(), Recorder(), scheduler, AccessPolicy({ADMIN}, NoGroups()))


async def say(service: LockService, args: str, user: str = ADMIN) -> str:
    answer = await run_admin(service.db, service.access, Seam(), user, "C1", args)
    assert not isinstance(answer, Later)
    return answer


async def test_doors_and_groups(service: LockService) -> None:
    assert await say(service, "doors") == (
        '🚪 No doors yet. Add one with `/lock admin add-door "Front Door" DEVICE_ID`, or import '
        "Seam's locks with `/lock admin sync`."
    )
    assert await say(service, 'add-door "Front Door" dev-1 main') == (
        "✅ Added *Front Door* → `dev-1` (aliases: main). Only admins may lock it until you grant "
        'it: `/lock admin grant @someone "Front Door"`.'
    )
    assert await say(service, 'add-door "Back Door" dev-2') == (
        "✅ Added *Back Door* → `dev-2`. Only admins may lock it until you grant it: "
        '`/lock admin grant @someone "Back Door"`.'
    )
    assert await say(service, 'rename "Back Door" "Rear Door"') == (
        "✅ *Back Door* is now *Rear Door*."
    )
    assert await say(service, 'alias "Rear Door" rear') == "✅ *rear* now means *Rear Door*."
    assert await say(service, "unalias rear") == "✅ *rear* no longer means *Rear Door*."
    assert await say(service, "channels main <#CSEC|security>") == (
        "📍 *Front Door* may now be locked only from <#CSEC>."
    )
    assert await say(service, "channels main") == "📍 *Front Door* may be locked only from <#CSEC>."
    assert await say(service, "channels main any") == (
        "🌐 *Front Door* may be locked from any channel again."
    )
    assert await say(service, "doors") == (
        "🚪 *2 doors*\n• *Front Door* `dev-1` · aliases: main\n• *Rear Door* `dev-2`"
    )
    assert await say(service, 'add-group "Floor 2" main "Rear Door"') == (
        "✅ *Floor 2* has *Front Door*, *Rear Door*."
    )
    assert await say(service, 'ungroup "Floor 2" main') == "✅ *Floor 2* has *Rear Door*."
    assert await say(service, "groups") == "🗂️ *1 group*\n• *Floor 2*: *Rear Door*"
    assert await say(service, 'remove-group "Floor 2"') == (
        "🗑️ Removed the group *Floor 2* and its grants. Its doors stay."
    )
    assert await say(service, "remove-door rear door") == (
        "🗑️ Removed *Rear Door*, with its aliases and grants. Its lock history stays."
    )


async def test_grants_and_device_news(service: LockService) -> None:
    await say(service, 'add-door "Front Door" dev-1')
    assert await say(service, 'grant <@U9> "front door"') == "✅ <@U9> may now lock *Front Door*."
    assert await say(service, "grant <@U9> front-door") == (
        "👌 <@U9> could already lock *Front Door*."
    )
    assert await say(service, "grant <!subteam^S1|@night> *") == (
        "✅ <!subteam^S1> may now lock every door."
    )
    assert await say(service, "grant U7 admin") == "✅ <@U7> is now a lockbot admin."
    assert await say(service, f"revoke {ADMIN} admin") == (
        "⚠️ <@UADMIN> had no admin grant, so nothing changed. `LOCKBOT_ADMINS` makes them one; "
        "only it can change that."
    )
    assert await say(service, "grants") == (
        "🔑 *Grants*\n• <!subteam^S1>: every door\n• <@U7>: admin\n• <@U9>: *Front Door*\n"
        "Admins through `LOCKBOT_ADMINS`: <@UADMIN>"
    )
    assert await say(service, 'mute "Front Door" device.disconnected') == (
        "🔇 No more `device.disconnected` news from *Front Door*."
    )
    assert await say(service, "mutes") == (
        "🔇 *Muted device news*\n• *Front Door*: `device.disconnected`"
    )
    assert await say(service, 'alerts "Front Door"') == (
        "📣 News from *Front Door* goes to the default alert channel."
    )
    assert await say(service, "quiet <#CALERTS> 22:00-07:00 UTC") == (
        "🌙 <#CALERTS> is quiet 22:00–07:00 (UTC): only tampering and unexpected unlocks are "
        "posted then."
    )
    assert await say(service, "quiet <#CALERTS> off") == (
        "🔔 <#CALERTS> has no quiet hours now: all device news is posted."
    )


async def test_refusals_name_what_an_admin_types_in_slack(service: LockService) -> None:
    await say(service, 'add-door "Front Door" dev-1')
    assert await say(service, "grant <@U9> Attic") == (
        "⚠️ No door or group is called 'Attic'; `/lock admin doors` and `/lock admin groups` "
        "show them"
    )
    assert await say(service, "unalias rear") == (
        "⚠️ No alias is called 'rear'; `/lock admin doors` shows them"
    )
    assert await say(service, 'remove-group "Floor 9"') == (
        "⚠️ No group is called 'Floor 9'; `/lock admin groups` shows them"
    )
    assert await say(service, 'add-group "Floor 2" "Frnt Door"') == (
        "⚠️ No door is called 'Frnt Door' (did you mean 'Front Door'?); `/lock admin doors` "
        "shows them"
    )
    assert await say(service, 'add-door "front-DOOR" dev-2') == (
        "⚠️ 'front-DOOR' already names a door, alias or group"
    )
    assert (await say(service, 'mute "Front Door" lock.opened')).startswith(
        "⚠️ 'lock.opened' is not an event I relay; use one of device.disconnected, "
    )
    assert await say(service, "quiet <#CALERTS> 22-7") == (
        "⚠️ '22-7' is not a span of hours; write it like 22:00-07:00"
    )


async def test_what_the_dispatcher_says(service: LockService) -> None:
    assert await say(service, "doors", user="U9") == (
        "🚫 `/lock admin` is for lockbot admins. If something needs changing, ask <@UADMIN>."
    )
    help_text = await say(service, "help")
    assert help_text.startswith("🛠️ *lockbot admin*. Put names with spaces in quotes;")
    assert help_text.endswith("• `/lock admin help`: this message")
    assert await say(service, "frobnicate") == f"🤔 I don't know `frobnicate`.\n{help_text}"
    assert await say(service, "rename main") == (
        "⚠️ That doesn't fit `rename`. Names with spaces go in quotes, like "
        '`/lock admin rename "Front Door" "Main Entrance"`.'
    )
    assert await say(service, 'rename "Front Door') == (
        "⚠️ A quote is not closed. Put names with spaces in quotes, like "
        '`/lock admin rename "Front Door" "Main Entrance"`.'
    )
    assert await say(service, "audit 0") == (
        "⚠️ `audit` shows 1 to 50 changes, like `/lock admin audit 20`."
    )
    assert await say(service, "audit") == "📜 No admin changes recorded yet."
