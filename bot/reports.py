"""Reports that the terminal and Slack both show, so `lockbot doors sync` and `/lock admin sync`
tell the same story in the same words."""

from __future__ import annotations

from bot.door_sync import SyncReport

CLI_GRANT_HINT = 'lockbot grant SUBJECT "DOOR"'


def sync_lines(report: SyncReport, grant_hint: str = CLI_GRANT_HINT) -> list[str]:
    """One line per change, then a summary. `grant_hint` is how the reader grants access where
    they are reading (the terminal or Slack)."""
    out = [f"+ {d.name} ({d.device_id})" for d in report.added]
    out += [f"~ {r.old} → {r.new} ({r.device_id}): renamed in Seam" for r in report.renamed]
    out += [
        f'= {d.name} ({d.device_id}): Seam calls it "{d.seam_name}", which another door or '
        "alias already has"
        for d in report.duplicates
    ]
    out += [f"↺ {d.name} ({d.device_id}) is back in Seam" for d in report.returned]
    out += [
        f"! {d.name} ({d.device_id}) is missing from Seam; locking it is refused until it returns"
        for d in report.missing
    ]
    out += [
        f'· {k.name} ({k.device_id}) keeps its name; Seam now calls it "{k.seam_name}"'
        for k in report.kept
    ]
    counts = (
        f"{len(report.added)} added, {len(report.renamed)} renamed, "
        f"{len(report.missing)} missing, {len(report.returned)} back"
    )
    if report.duplicates:
        n = len(report.duplicates)
        counts += f", {n} duplicate name{'' if n == 1 else 's'} made unique"
    locks = f"Seam lists {report.locks} lock{'' if report.locks == 1 else 's'}"
    if report.dry_run:
        out.append(f"✓ dry run, nothing written. {locks}: {counts}")
    elif report.changed:
        out.append(f"✓ {locks}: {counts}")
    else:
        out.append(f"✓ {locks}; the doors already match")
    if report.still_missing:
        names = ", ".join(f"{d.name} ({d.device_id})" for d in report.still_missing)
        out.append(f"  still missing from Seam: {names}")
    if report.added and not report.dry_run:
        out.append(f"  new doors have no grants yet: {grant_hint}")
    return out
