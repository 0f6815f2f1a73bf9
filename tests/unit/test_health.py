"""The probes' reasons are codes: whatever a caller hands over, no service's sentence gets out."""

from __future__ import annotations

from bot.health import FAILING_AFTER, ServiceHealth, reason_code


def test_a_reason_is_a_code_or_error() -> None:
    assert reason_code("seam_unavailable") == "seam_unavailable"
    assert reason_code("chat.postMessage") == "chat.postMessage"
    for text in ("Seam is down: call +1 555 0100", "", "x" * 65, "<html>", "oops\nsecret"):
        assert reason_code(text) == "error"


def test_failing_after_consecutive_failures_with_codes_only() -> None:
    health = ServiceHealth("slack")
    for _ in range(FAILING_AFTER - 1):
        health.failed("chat.update", "Internal Server Error from the load balancer")
    assert health.report() == "ok"
    health.failed("chat.update", "Internal Server Error from the load balancer")
    assert health.report() == "failing: chat.update: error"
    health.ok()
    assert health.report() == "ok" and health.last_error is None
