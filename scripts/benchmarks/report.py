"""Checks against the targets, the console table, the SVG chart (plain SVG, no plotting
library). The page itself is written by :mod:`.docs`."""

from __future__ import annotations

from xml.sax.saxutils import escape as _esc

TARGET_RATIO = 3.0  # decode-and-write vs straightforward
TARGET_CEILING = 0.75  # objects/s at 50 ms vs the bare GetObject loop, as many threads
TARGET_ONE_MB, TARGET_FOUR_MB = 120.0, 200.0  # VmHWM: one 1 GB object; four at once, 4 workers


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def checks(results: dict) -> list:
    """(label, target, measured, status) rows; FAIL rows make the exit status 1."""
    rows = []
    t = results.get("pipeline")
    if t:
        rows += [
            ("decode-and-write vs straightforward", f">= {TARGET_RATIO:.0f}x", f"{t['ratio_vs_straightforward']:.2f}x",
             _status(t["ratio_vs_straightforward"] >= TARGET_RATIO)),
            ("decode-and-write events exact", "all", f"{t['exactness_checked_events']:,} checked, "
             f"{len(t['exactness_problems'])} wrong", _status(not t["exactness_problems"])),
        ]
    s = results.get("small")
    if s:
        ex = s["exactness"]
        rows.append(("built input: each record once, exact", f"{ex['records']:,}",
                     f"{ex['events']:,} events, {len(ex['problems'])} problems", _status(not ex["problems"] and ex["events"] == ex["records"])))
        slow = max(s["delays"])
        for w in s["workers"]:
            r = s["runs"][f"addon/{slow}/{w}"]
            rows.append((f"{slow} ms, {w} worker(s): objects/s vs GetObject loop", f">= {100 * TARGET_CEILING:.0f}%",
                         f"{r['objects_per_s']:.1f}/s = {100 * r['vs_ceiling']:.0f}%", _status(r["vs_ceiling"] >= TARGET_CEILING)))
            if "vs_queue_loop" in r:
                rows.append((f"{slow} ms, {w} worker(s): objects/s vs queue loop (info)", f">= {100 * TARGET_CEILING:.0f}%",
                             f"{r['objects_per_s']:.1f}/s = {100 * r['vs_queue_loop']:.0f}%", "INFO"))
        top = max(s["workers"])
        r = s["runs"][f"addon/{slow}/{top}"]
        if "vs_one_worker" in r:
            rows.append((f"{slow} ms, {top} workers vs 1 (info)", f"{top}x is linear", f"{r['vs_one_worker']:.1f}x", "INFO"))
    if results.get("small_fast"):
        from .small_fast import checks as fast_checks

        rows += fast_checks(results["small_fast"])
    big = results.get("large")
    if big:
        gb = big["uncompressed_mb"] / 1e3
        rows += [
            (f"VmHWM, one {gb:.2f} GB object", f"< {TARGET_ONE_MB:.0f} MB", f"{big['one']['vmhwm_mb']:.0f} MB",
             _status(big["one"]["vmhwm_mb"] < TARGET_ONE_MB)),
            ("big object: every record written", f"{big['records']:,}", f"{big['one']['events']:,}",
             _status(big["one"]["complete"] and big["one"]["events"] == big["records"])),
            (f"VmHWM, four {gb:.2f} GB objects, 4 workers", f"< {TARGET_FOUR_MB:.0f} MB", f"{big['four']['vmhwm_mb']:.0f} MB",
             _status(big["four"]["vmhwm_mb"] < TARGET_FOUR_MB)),
            ("big object MB/s vs bare gunzip (info)", "", f"{100 * big['one']['vs_gunzip']:.1f}%", "INFO"),
        ]
    e2e = results.get("large_e2e")
    if e2e:
        for version, p in e2e["pythons"].items():
            rows.append((f"large objects end to end, Python {version}: vs straightforward", f">= {e2e['target']:.0f}x",
                         f"{p['ratio']:.2f}x ({p['addon']['events_per_s']:,} events/s)",
                         _status(p["ratio"] >= e2e["target"] and p["addon"]["complete"])))
            rows.append((f"large objects end to end, Python {version}: MB/s vs gunzip + parse (info)", "",
                         f"{100 * p['vs_parse_floor']:.1f}% of {p['parse_mb_per_s']:.0f} MB/s; per CPU second "
                         f"{100 * p['cpu_vs_parse_floor']:.0f}%, {100 * p.get('cpu_vs_each_floor', 0):.0f}% of each "
                         "record parsed in turn", "INFO"))
    return rows


def print_table(results: dict) -> None:
    s = results.get("small")
    if s:
        print("\nsmall objects, objects/s (median of rounds)")
        print(f"  {'ms':>3} {'workers':>7} {'add-on':>9} {'GetObject loop':>15} {'share':>7} {'queue loop':>11} {'share':>7}"
              f" {'naive (1 thread)':>17}")
        for d in s["delays"]:
            for w in s["workers"]:
                a, c = s["runs"][f"addon/{d}/{w}"], s["runs"][f"getobject/{d}/{w}"]
                q = s["runs"].get(f"queue/{d}/{w}")
                naive = s["runs"][f"naive/{d}/1"]["objects_per_s"] if w == 1 and f"naive/{d}/1" in s["runs"] else None
                print(f"  {d:>3} {w:>7} {a['objects_per_s']:>9.1f} {c['objects_per_s']:>15.1f} {100 * a['vs_ceiling']:>6.0f}%"
                      + (f" {q['objects_per_s']:>11.1f} {100 * a['vs_queue_loop']:>6.0f}%" if q else f" {'':>11} {'':>7}")
                      + (f" {naive:>17.1f}" if naive is not None else ""))
    if results.get("small_fast"):
        from .small_fast import print_table as fast_table

        fast_table(results["small_fast"])
    rows = checks(results)
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print("\n  " + "  ".join(h.ljust(w) for h, w in zip(("check", "target", "measured", "status"), widths)))
    for row in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)))


def _bar_panel(title: str, bars, y0: int, unit: str, width: int, marker=None, fmt: str = "{:,.0f}") -> tuple:
    """One horizontal bar panel: (svg elements, height used). ``marker``: (value, label) line."""
    left, bar_h, step = 230, 18, 24
    top = max([v for _, v, _ in bars] + ([marker[0]] if marker else [])) or 1.0
    scale = (width - left - 120) / top
    parts = [f'<text x="10" y="{y0 + 16}" font-size="14" font-weight="bold">{_esc(title)}</text>']
    for i, (label, value, colour) in enumerate(bars):
        y = y0 + 26 + i * step
        w = value * scale
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" font-size="12">{_esc(label)}</text>'
                     f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
                     f'<text x="{left + w + 6:.1f}" y="{y + 14}" font-size="12">{fmt.format(value)} {unit}</text>')
    height = 26 + len(bars) * step + 12
    if marker:
        x = left + marker[0] * scale
        parts.append(f'<line x1="{x:.1f}" y1="{y0 + 22}" x2="{x:.1f}" y2="{y0 + height - 8}" stroke="#d62728" '
                     f'stroke-dasharray="4 3"/><text x="{x + 4:.1f}" y="{y0 + height + 2}" font-size="11" '
                     f'fill="#d62728">{_esc(marker[1])}</text>')
        height += 10
    return parts, height


ADDON, CEILING, BASE, FLOOR, QUEUE = "#1f77b4", "#ff7f0e", "#b0b0b0", "#2ca02c", "#9467bd"


def _panels(results: dict) -> list:
    panels = []
    s = results.get("small")
    if s:
        for d in sorted(s["delays"], reverse=True):
            bars = ([("straightforward input, 1 thread", s["runs"][f"naive/{d}/1"]["objects_per_s"], BASE)]
                    if f"naive/{d}/1" in s["runs"] else [])
            for w in s["workers"]:
                bars.append((f"add-on, max_workers {w}", s["runs"][f"addon/{d}/{w}"]["objects_per_s"], ADDON))
                bars.append((f"GetObject loop, {w} thread(s)", s["runs"][f"getobject/{d}/{w}"]["objects_per_s"], CEILING))
                if f"queue/{d}/{w}" in s["runs"]:
                    bars.append((f"queue loop, {w} thread(s)", s["runs"][f"queue/{d}/{w}"]["objects_per_s"], QUEUE))
            panels.append((f"Small CloudTrail objects, {d} ms per request: objects/s (higher is better)", bars,
                           "/s", None, "{:,.1f}"))
    rows = results.get("sizes")
    if rows:
        bars = []
        for row in rows:
            label = f"{row['size_bytes'] / 1e3:,.0f} KB" if row["size_bytes"] < 1e6 else f"{row['size_bytes'] / 1e6:,.0f} MB"
            bars.append((f"add-on, {label} objects", row["addon"]["mb_per_s"], ADDON))
            if "naive" in row:
                bars.append((f"straightforward, {label}", row["naive"]["mb_per_s"], BASE))
        panels.append(("Cost against object size, 0 ms: uncompressed MB/s", bars, "MB/s", None, "{:,.1f}"))
    big = results.get("large")
    if big:
        gb = big["uncompressed_mb"] / 1e3
        bars = [(f"one {gb:.1f} GB object", big["one"]["vmhwm_mb"], ADDON),
                (f"four {gb:.1f} GB objects, 4 workers", big["four"]["vmhwm_mb"], ADDON)]
        naive = [r for r in rows or [] if "naive" in r]
        if naive:
            r = naive[-1]
            bars.append((f"straightforward, {r['size_bytes'] / 1e6:,.0f} MB object", r["naive"]["vmhwm_mb"], BASE))
        panels.append(("VmHWM of the input process, MB (lower is better)", bars, "MB",
                       (TARGET_ONE_MB, f"target one object: < {TARGET_ONE_MB:.0f} MB"), "{:,.0f}"))
        panels.append((f"One {gb:.1f} GB object: uncompressed MB/s", [
            ("add-on (built input)", big["one"]["mb_per_s"], ADDON),
            ("bare gunzip (zlib)", big["gunzip"]["mb_per_s"], FLOOR)], "MB/s", None, "{:,.1f}"))
    t = results.get("pipeline")
    if t:
        panels.append(("Decode and write on one core, in process: uncompressed MB/s", [
            ("straightforward", t["straightforward"]["mb_per_s"], BASE),
            ("add-on", t["addon"]["mb_per_s"], ADDON),
            ("gunzip + JSON parse only", t["parse_floor"]["mb_per_s"], CEILING),
            ("bare gunzip (zlib)", t["gunzip"]["mb_per_s"], FLOOR)], "MB/s", None, "{:,.1f}"))
    return panels


def svg_chart(results: dict) -> str:
    width, y, parts = 760, 10, []
    for title, bars, unit, marker, fmt in _panels(results):
        elements, height = _bar_panel(title, bars, y, unit, width, marker, fmt)
        parts += elements
        y += height + 14
    mach = results["machine"]
    parts.append(f'<text x="10" y="{y + 4}" font-size="11" fill="#555">make bench, {results["date"]}: '
                 f'{mach["nproc"]} CPUs ({_esc(mach["cpu"])}), input under Python {_esc(results.get("input_python", ""))}'
                 f'{", --quick" if results.get("quick") else ""}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 14}" '
            f'viewBox="0 0 {width} {y + 14}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>\n')
