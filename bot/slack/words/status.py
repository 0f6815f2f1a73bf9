"""`/lock status` in Slack: each door as Seam reports it now, its problems in plain words."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ports import BackendError, BackendErrorKind, DeviceState, Problem
from bot.slack.words.common import bold, count, fit
from bot.text import escape

# Seam's own messages are echoed only as a fallback; a runaway one must not crowd out the rest.
_MESSAGE_MAX = 300
_OFFLINE = "check its power and its hub or Wi-Fi"
# Seam's codes in plain words; anything else falls back to Seam's own message.
_PLAIN = {
    "device_offline": f"The lock is offline: {_OFFLINE}.",
    "device_disconnected": f"The lock lost its connection to Seam: {_OFFLINE}.",
    "account_disconnected": "The lock maker's account is disconnected from Seam, so nothing can "
    "reach the lock. An admin must reconnect it in the Seam console.",
    "hub_disconnected": "The lock's hub or bridge is offline, so Seam can't reach the lock: "
    "check the hub's power and network.",
    "bridge_disconnected": "The Seam Bridge for this lock is offline, so Seam can't reach the "
    "lock: check the computer it runs on.",
    "salto_ks_subscription_limit_exceeded": "The Salto KS subscription has more users than it "
    "allows, so Salto blocks remote control. An admin must raise the plan or remove users.",
    "salto_ks_subscription_limit_almost_reached": "The Salto KS subscription is almost full.",
    "device_removed": "The lock was removed from its account at the lock maker. An admin should "
    "check it, then run `lockbot doors sync`.",
    "subscription_required": "The lock maker needs a paid subscription for remote control.",
    "missing_device_credentials": "Seam is missing credentials for this lock; an admin must add "
    "them in the Seam console.",
    "device_has_flaky_connection": "The lock's connection is unreliable; commands may be slow or "
    "fail.",
    "device_communication_degraded": "The lock's connection is weak; commands may be slow or fail.",
    "unreliable_online_status": "Seam can't reliably tell whether this lock is online.",
    "power_saving_mode": "The lock is in power-saving mode and may answer slowly.",
    "salto_ks_office_mode": "The lock is in office mode, so it stays unlocked.",
    "scheduled_maintenance_window": "The lock maker has scheduled maintenance; remote control may "
    "not work for a while.",
}
_LOW_BATTERY = "The battery is low: replace or charge it soon."
_CRITICAL_BATTERY = "The battery is almost empty: replace or charge it now."


def plain(problem: Problem) -> str:
    code = problem.code.lower()
    if code in _PLAIN:
        return _PLAIN[code]
    if "battery" in code and ("low" in code or "critical" in code):
        return _LOW_BATTERY
    if problem.message:
        message = problem.message.strip()
        if len(message) > _MESSAGE_MAX:
            message = message[: _MESSAGE_MAX - 1] + "…"
        return f"{escape(message)} (`{escape(problem.code)}`)"
    return f"Seam reports `{escape(problem.code)}`."


def _battery_fact(state: DeviceState) -> str | None:
    if state.battery_level is None and state.battery_status is None:
        return None
    low = state.battery_status in ("low", "critical")
    parts = []
    if state.battery_level is not None:
        parts.append(f"{round(state.battery_level * 100)}%")
    if state.battery_status:
        parts.append(f"({escape(state.battery_status)})" if parts else escape(state.battery_status))
    return f"{'🪫' if low else '🔋'} battery {' '.join(parts)}"


def device_lines(name: str, state: DeviceState) -> list[str]:
    """One line of facts, then one line per problem Seam reports."""
    if state.locked is None:
        emoji, words = "❔", "lock state unknown"
    else:
        emoji, words = ("🔒", "locked") if state.locked else ("🔓", "unlocked")
    facts = [words + (" (last reported)" if state.online is False else "")]
    if state.online is not None:
        facts.append("online" if state.online else "📴 offline")
    if battery := _battery_fact(state):
        facts.append(battery)
    if state.door_open is not None:
        facts.append("🚪 door open" if state.door_open else "door closed")
    lines = [f"{emoji} {bold(name)}: {' · '.join(facts)}"]
    problems = [f"⛔ {plain(p)}" for p in state.errors]
    problems += [f"⚠️ {plain(p)}" for p in state.warnings]
    said = " ".join(problems)
    if state.battery_status == "critical" and _CRITICAL_BATTERY not in said:
        problems.append(f"⚠️ {_CRITICAL_BATTERY}")
    elif state.battery_status == "low" and _LOW_BATTERY not in said:
        problems.append(f"⚠️ {_LOW_BATTERY}")
    if state.online is False and not state.errors:
        problems.append(f"⛔ The lock is offline: {_OFFLINE}.")
    return [*lines, *(f"    ↳ {p}" for p in dict.fromkeys(problems))]


def failed_lines(name: str, error: BackendError) -> list[str]:
    code = f"`{escape(error.code)}`"
    match error.kind:
        case BackendErrorKind.NOT_FOUND:
            why = (
                f"Seam doesn't know its lock ({code}). An admin should run `lockbot doors sync` "
                "and check `lockbot doors list`."
            )
        case BackendErrorKind.UNAUTHORIZED:
            why = "Seam rejected lockbot's API key; an admin must fix `SEAM_API_KEY`."
        case BackendErrorKind.UNAVAILABLE:
            why = f"couldn't get an answer from Seam ({code}). Try again in a minute."
        case _:
            why = f"Seam refused to say ({code}: {escape(error.message)})."
    return [f"⚠️ {bold(name)}: {why}"]


def no_doors(name: str) -> str:
    return f"🫙 {bold(name)} has no doors yet, so there is nothing to check."


def asking(name: str) -> str:
    return f"⏳ Asking Seam about {bold(name)}…"


def no_answer(name: str) -> str:
    return f"⚠️ I couldn't get an answer from Seam about {bold(name)}. Try again in a minute."


def live(name: str, answers: Sequence[list[str]], group: bool) -> str:
    """A door's lines (`answers[0]`), or a group's doors, each door's lines one entry."""
    if not group:
        return fit(answers[0][0], answers[0][1:])
    # A door's problems stay with it, so each door counts as one entry when trimming.
    entries = ["\n".join(lines) for lines in answers]
    head = f"🏢 {bold(name)}: {count(len(answers), 'door')}, live from Seam"
    return fit(head, entries)
