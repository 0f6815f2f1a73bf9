"""What a check is, and how the checks are shown: a line each, or the `--json` document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def passed(name: str, detail: str) -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, False, detail, fix)


def render(check: Check) -> str:
    """`✓ name: detail`, or `✗ name: detail — fix`."""
    if check.ok:
        return f"✓ {check.name}: {check.detail}"
    return f"✗ {check.name}: {check.detail}" + (f" — {check.fix}" if check.fix else "")


def report(checks: Iterable[Check]) -> dict[str, Any]:
    """The `--json` document: the same checks, and whether all of them passed."""
    rows = [{"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix} for c in checks]
    return {"ok": all(bool(row["ok"]) for row in rows), "checks": rows}


def all_ok(checks: Iterable[Check]) -> bool:
    return all(c.ok for c in checks)


def settings_check(error: ValidationError) -> Check:
    """A Settings that does not load, as a failed check (field and reason; never the value)."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or 'settings'}: {e['msg']}"
        for e in error.errors()
    )
    return failed(
        "settings",
        f"the configuration does not load: {problems}",
        "fix those variables in the environment or in .env (see the README's table)",
    )


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
