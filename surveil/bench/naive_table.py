"""The tables of ``surveil bench naive``: CPU per camera-hour per clip, then events per clip and rule."""

from __future__ import annotations

from surveil.bench.naive_match import LONG_S

COUNTS = ("naive", "surveil", "found", "same_object", "long", "long_same_object")


def _weighted(rows: list[dict], key: str, weight: str) -> float:
    return sum(r[key] * r[weight] for r in rows) / max(sum(r[weight] for r in rows), 1e-9)


def totals(rows: list[dict]) -> dict:
    """Both clips together: CPU weighted by footage, events summed per rule and over every rule."""
    per_rule: dict[str, dict] = {}
    for row in (rule for r in rows for rule in r["rules"]):
        into = per_rule.setdefault(row["rule"], dict.fromkeys(COUNTS, 0))
        for key in COUNTS:
            into[key] += row[key]
    return {"footage_s": sum(r["footage_s"] for r in rows),
            "floor_cpu_h": _weighted(rows, "floor_cpu_h", "footage_s"),
            "naive_cpu_h": _weighted(rows, "naive_cpu_h", "footage_s"),
            "surveil_cpu_h": _weighted(rows, "surveil_cpu_h", "surveil_footage_s"),
            "rules": [{"rule": name, **counts} for name, counts in per_rule.items()],
            "all_rules": {"rule": "every rule", **{key: sum(r[key] for r in per_rule.values()) for key in COUNTS}}}


def table(rows: list[dict]) -> str:
    """Both tables, in Markdown."""
    total = totals(rows)
    return (f"CPU seconds per camera-hour:\n\n{_cpu_table(rows, total)}\n\n"
            f"Events (clips with none on either side left out):\n\n{_event_table(rows, total)}")


def _cpu_table(rows: list[dict], total: dict) -> str:
    lines = ["| clip | backend | footage | frames analysed naive / surveil (detected) | decode floor | naive "
             "| surveil | naive ÷ surveil | naive ÷ floor | surveil ÷ floor |", "|---" * 10 + "|"]
    for r in [*rows, {**total, "clip": "both", "backend": rows[0]["backend"] if rows else "-"}]:
        frames = f"{r['naive_frames']} / {r['surveil_frames']} ({r['surveil_detected']})" if "naive_frames" in r else ""
        lines.append(f"| {r['clip']} | {r['backend']} | {r['footage_s']:.0f} s | {frames} "
                     f"| {r['floor_cpu_h']:.0f} | {r['naive_cpu_h']:.0f} | {r['surveil_cpu_h']:.0f} "
                     f"| {r['naive_cpu_h'] / r['surveil_cpu_h']:.1f}× | {r['naive_cpu_h'] / r['floor_cpu_h']:.0f}× "
                     f"| {r['surveil_cpu_h'] / r['floor_cpu_h']:.1f}× |")
    return "\n".join(lines)


def _event_table(rows: list[dict], total: dict) -> str:
    lines = ["| clip | rule | naive events | surveil events | found (time) | found (same object) "
             f"| same object, naive events of {LONG_S:g} s or more |", "|---" * 7 + "|"]
    chosen = [(r["clip"], e) for r in rows for e in r["rules"] if e["naive"] or e["surveil"]]  # a lobby has no cars
    for clip, e in [*chosen, *(("both", e) for e in [*total["rules"], total["all_rules"]])]:
        lines.append(f"| {clip} | {e['rule']} | {e['naive']} | {e['surveil']} "
                     f"| {e['found']} ({_share(e['found'], e['naive'])}) "
                     f"| {e['same_object']} ({_share(e['same_object'], e['naive'])}) "
                     f"| {e['long_same_object']} of {e['long']} ({_share(e['long_same_object'], e['long'])}) |")
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"
