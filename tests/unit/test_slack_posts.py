"""Every Block Kit message the bot posts in a channel, held against slack_sdk's models and
Slack's limits: every status, the schedule's variant, a 60-door and a 500-door group, names at
the edge of what people can type, device news, and the notification text kept beside the
blocks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.models import LockRequest, LockStatus
from bot.news import Flapping, News, Offline, Online
from bot.slack.blockkit import LINK_ACTION_ID, RETRY_ACTION_ID, Message
from bot.slack.words import groups, locks, news, posts
from tests.support.block_kit import buttons, field_texts, mrkdwn, valid_blocks
from tests.unit.test_slack_words import T0, batch, request

LONG = "Ü" * 40 + " & <!channel> " + "x" * 46  # 100 characters, some escaped to five
FINAL = [
    (LockStatus.LOCKED, None),
    (LockStatus.FAILED, "device_offline"),
    (LockStatus.FAILED, "seam_unavailable"),
    (LockStatus.TIMED_OUT, "timed_out"),
    (LockStatus.EXPIRED, "expired"),
    (LockStatus.REJECTED, "door_missing"),
    (LockStatus.REJECTED, "wrong_channel"),
]


def retry_values(message: Message) -> list[str | None]:
    return [
        b.value for b in buttons(valid_blocks(message.payload())) if b.action_id == RETRY_ACTION_ID
    ]


def members(count: int, name: str = "Room", failing_every: int = 3) -> list[LockRequest]:
    rows = []
    for i in range(count):
        status, error = FINAL[i % len(FINAL)] if i % failing_every == 0 else FINAL[0]
        rows.append(
            request(
                status,
                id=100 + i,
                door_name=f"{name} {i:03d}",
                error_type=error,
                error_message="x" * 500,
                batch_id=3,
            )
        )
    return rows


def test_the_root_names_the_door_then_who_asked_from_where_and_how_long() -> None:
    started = posts.started(request())
    assert started.text == locks.started(request())  # the fallback is the sentence it was
    blocks = valid_blocks(started.payload())
    assert mrkdwn(blocks) == "🔒 Locking *Front Door*…\nAsked by <@U1> in <#C1>"

    done = posts.finished(request(LockStatus.LOCKED))
    assert done.text == locks.root_final(request(LockStatus.LOCKED))
    assert mrkdwn(valid_blocks(done.payload())) == (
        "✅ *Front Door* is locked\nAsked by <@U1> in <#C1> · took 1.2 s"
    )
    assert retry_values(done) == []
    in_dm = posts.finished(request(LockStatus.LOCKED, channel_id="D1"))
    assert "Asked by <@U1> in a DM · took" in mrkdwn(valid_blocks(in_dm.payload()))


@pytest.mark.parametrize(("status", "error"), FINAL[1:])
def test_every_failure_carries_try_again_for_what_was_asked(status: LockStatus, error: str) -> None:
    failed = request(status, error_type=error, error_message="Lock is offline")
    message = posts.finished(failed)
    assert message.text == locks.root_final(failed)
    assert retry_values(message) == ["Front Door"]
    shown = mrkdwn(valid_blocks(message.payload()))
    assert shown.splitlines()[0].startswith(("❌", "⌛"))
    assert "Asked by <@U1> in <#C1> · 1.2 s · details in the thread" in shown


def test_a_door_nobody_found_is_tried_again_by_what_was_typed() -> None:
    unknown = request(LockStatus.FAILED, door_name=None, text="frnt", error_type="x")
    assert retry_values(posts.finished(unknown)) == ["frnt"]


def test_an_alert_links_the_thread_and_says_what_to_check_at_an_offline_lock() -> None:
    offline = request(LockStatus.FAILED, error_type="device_offline", error_message="offline")
    message = posts.alert(offline, "https://slack.test/p1")
    assert message.text == locks.alert(offline, "https://slack.test/p1")
    blocks = valid_blocks(message.payload())
    assert mrkdwn(blocks) == (
        "🚨 Lock failed: *Front Door*, asked by <@U1>. `device_offline`: offline.\n"
        "*What to check:* Check that the lock has power and its hub or Wi-Fi is online, "
        "then try again."
    )
    (link,) = buttons(blocks)
    assert (link.action_id, link.url) == (LINK_ACTION_ID, "https://slack.test/p1")

    other = request(LockStatus.FAILED, error_type="seam_unavailable", error_message="503")
    without_thread = valid_blocks(posts.alert(other, None).payload())
    assert "asked by <@U1> in <#C1>" in mrkdwn(without_thread)  # no thread: name the channel
    assert "*What to do:* Seam is having trouble" in mrkdwn(without_thread)
    assert buttons(without_thread) == []


def test_a_group_shows_each_door_as_a_field_failures_first() -> None:
    rows = [
        request(LockStatus.LOCKED, id=1, door_name="Front Door", batch_id=3),
        request(LockStatus.FAILED, id=2, door_name="Back Door", error_type="device_offline"),
        request(LockStatus.REJECTED, id=3, door_name="Garage", error_type="door_missing"),
    ]
    partly = batch(LockStatus.FAILED, "1 of 3 locked, 1 failed: Back Door (device_offline)")
    message = posts.group_finished(partly, rows)
    assert message.text == groups.group_root_final(partly)
    blocks = valid_blocks(message.payload())
    assert field_texts(blocks) == [
        "❌ *Back Door*\nfailed: `device_offline`",
        "⏭️ *Garage*\nskipped: missing from Seam",
        "✅ *Front Door*\nlocked in 1.2 s",
    ]
    assert mrkdwn(blocks).splitlines()[:2] == [
        "⚠️ *Floor 2*: 1 of 3 locked, 1 failed: Back Door (device_offline)",
        "Asked by <@U1> in <#C1> · took 2.5 s · details in the thread",
    ]
    assert retry_values(message) == ["Floor 2"]
    locked = batch(LockStatus.LOCKED, "1 of 1 locked")
    assert retry_values(posts.group_finished(locked, rows[:1])) == []


def test_a_60_door_group_with_long_names_fits_every_limit() -> None:
    rows = members(60, LONG)
    summary = "20 of 60 locked, 40 failed: " + ", ".join(f"{LONG} (device_offline)" for _ in rows)
    big = batch(LockStatus.FAILED, summary[:1000], group_name=LONG, text=LONG)
    message = posts.group_finished(big, rows)
    blocks = valid_blocks(message.payload())
    assert len(field_texts(blocks)) == 60  # six sections of ten: every door is shown
    assert retry_values(message) == [LONG]
    alert = posts.group_alert(big, rows, "https://slack.test/p1")
    shown = mrkdwn(valid_blocks(alert.payload()))
    assert "more" in shown.splitlines()[-1]  # the failed doors' lines, cut to one section
    started = posts.group_started(big, 60)
    assert "(60 doors)" in mrkdwn(valid_blocks(started.payload()))


def test_a_500_door_group_shows_what_fits_and_counts_the_rest() -> None:
    rows = members(500)
    message = posts.group_finished(batch(LockStatus.FAILED, "…"), rows)
    blocks = valid_blocks(message.payload())
    shown = len(field_texts(blocks))
    assert shown == 10 * posts.DOOR_SECTIONS_MAX
    assert f"…and {500 - shown} more doors, in the thread" in mrkdwn(blocks)


def test_long_names_and_messages_are_cut_to_fit_never_refused() -> None:
    long = request(
        LockStatus.FAILED,
        door_name=LONG,
        text=LONG,
        error_type="e" * 200,
        error_message="<&>" * 500,
    )
    for message in (
        posts.started(long),
        posts.finished(long),
        posts.alert(long, "https://slack.test/" + "p" * 2000),
        posts.retrying("U1"),
        Message.plain(locks.thread_final(long)),
        posts.finished(long).noted("a note " * 600),
    ):
        valid_blocks(message.payload())
    assert retry_values(posts.finished(long)) == [LONG]


def test_a_scheduled_group_says_who_set_it() -> None:
    run = batch(LockStatus.PENDING, "", source="schedule", user_id="U2")
    shown = mrkdwn(valid_blocks(posts.group_started(run, 2).payload()))
    assert shown == "⏰ Scheduled lock: *Floor 2* (2 doors)…\nSet by <@U2> in <#C1> · scheduled"
    later = batch(LockStatus.LOCKED, "2 of 2 locked", source="schedule", user_id="U2")
    later.finished_at = T0 + timedelta(minutes=2)
    done = mrkdwn(valid_blocks(posts.group_finished(later, []).payload()))
    assert "Set by <@U2> in <#C1> · scheduled · took 2.0 min" in done


def test_a_note_goes_before_the_message_in_both_forms() -> None:
    noted = posts.started(request()).noted("📭 posted here instead")
    assert noted.text.startswith("📭 posted here instead\n🔒 Locking")
    assert mrkdwn(valid_blocks(noted.payload())).startswith("📭 posted here instead\n🔒")


@pytest.mark.parametrize(
    ("told", "check"),
    [
        (Offline(LONG), True),
        (Flapping(LONG, 5, timedelta(minutes=3), online=False), True),
        (Flapping("Front Door", 5, timedelta(minutes=3), online=True), False),
        (Online("Front Door", timedelta(minutes=14)), False),
    ],
)
def test_device_news_says_what_to_check_when_a_lock_is_offline(told: News, check: bool) -> None:
    message = news.message(told)
    assert message.text == news.said(told)
    shown = mrkdwn(valid_blocks(message.payload()))
    assert ("*What to check:* Check that the lock has power" in shown) is check
