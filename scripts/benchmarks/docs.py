"""docs/performance.md and docs/performance.svg, from one run's results.json.

The page's prose is ``performance.md.tmpl`` beside this module (sections filled with
``string.Template``); here are only the figures and tables each section needs
(:func:`page`), and :func:`write`, which fills the template and writes both files.
"""

from __future__ import annotations

import os
import re
import string

from . import large_e2e
from .common import ROOT
from .report import TARGET_CEILING, checks, svg_chart

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "performance.md.tmpl")
_MARKER = re.compile(r"^@@ (\w+)\n", re.MULTILINE)


def template_sections(path: str = TEMPLATE) -> dict:
    """Section name -> ``string.Template``: each section runs from the line after its ``@@ name``
    line to the next ``@@`` line, less the newline that ends its last line."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    pieces = _MARKER.split(text)  # [note, name, body, name, body, ..., "end", ""]
    return {name: string.Template(body[:-1] if body.endswith("\n") else body)
            for name, body in zip(pieces[1::2], pieces[2::2]) if name != "end"}


def fill(name: str, values: dict, sections: dict = None) -> str:
    """One section of the template with its values (KeyError if one is missing)."""
    return (sections or template_sections())[name].substitute(values)


def _size(n: float) -> str:
    return f"{n / 1e3:,.0f} KB" if n < 1e6 else (f"{n / 1e6:,.0f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB")


def _small(s: dict) -> str:
    rows = []
    for d in s["delays"]:
        for w in s["workers"]:
            a, c = s["runs"][f"addon/{d}/{w}"], s["runs"][f"getobject/{d}/{w}"]
            q = s["runs"].get(f"queue/{d}/{w}")
            naive = s["runs"][f"naive/{d}/1"]["objects_per_s"] if w == 1 and f"naive/{d}/1" in s["runs"] else None
            rows.append(f"| {d} ms | {w} | **{a['objects_per_s']:,.1f}** | {c['objects_per_s']:,.1f} | "
                        f"{100 * a['vs_ceiling']:.0f}% | "
                        + (f"{q['objects_per_s']:,.1f} | {100 * a['vs_queue_loop']:.0f}% | " if q else "| | ")
                        + (f"{a['vs_one_worker']:.1f}x" if "vs_one_worker" in a else "") + " | "
                        f"{', '.join(map(str, a['every_round']))} | {a.get('cpu_ms_per_object', 0):.1f} ms | {a['vmhwm_mb']:.0f} MB | "
                        + (f"{naive:,.1f}" if naive is not None else "") + " |")
    return "\n".join(rows)


def _sizes(rows: list, big: dict) -> str:
    out = []
    for r in rows:
        a, n = r["addon"], r.get("naive")
        out.append(f"| {_size(r['size_bytes'])} | {r['objects']} | {r['records_per_object']:,} | "
                   f"{1e3 * a['seconds_per_object']:,.1f} ms | {a['mb_per_s']:,.1f} | {a['vmhwm_mb']:.0f} MB | "
                   + (f"{1e3 * n['seconds_per_object']:,.1f} ms | {n['mb_per_s']:,.1f} | {n['vmhwm_mb']:.0f} MB |"
                      if n else "not run (it would hold the whole object several times over) | | |"))
    if big:
        o = big["one"]
        out.append(f"| {_size(big['uncompressed_mb'] * 1e6)} | 1 | {big['records']:,} | {o['seconds'] * 1e3:,.0f} ms | "
                   f"{o['mb_per_s']:,.1f} | {o['vmhwm_mb']:.0f} MB | not run | | |")
    return "\n".join(out)


def _rounds(values: list) -> str:
    return ", ".join(f"{x:,}" for x in values)


def head_values(results: dict, sections: dict) -> dict:
    mach = results["machine"]
    return {"date": results["date"], "quick_note": fill("head_quick", {}, sections) + " " if results.get("quick") else "",
            "minutes": f"{results.get('elapsed_seconds', 0) / 60:.1f}", "input_python": str(results.get("input_python")),
            "nproc": str(mach["nproc"]), "cpu": mach["cpu"], "python": mach["python"], "platform": mach["platform"],
            "loadavg_start": ", ".join(map(str, mach.get("loadavg_start", []))),
            "loadavg_end": ", ".join(map(str, mach.get("loadavg_end", []))),
            "check_rows": "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in checks(results))}


def small_values(s: dict, sections: dict) -> dict:
    ex = s["exactness"]
    return {"objects": str(s["objects"]), "records_per_object": str(s["records_per_object"]),
            "object_kb_gzipped": f"{s['object_kb_gzipped']:.1f}", "rounds": str(s["rounds"]),
            "run_date_note": fill("small_run_date", {"run_date": s["run_date"]}, sections) if s.get("run_date") else "",
            "target_ceiling": f"{100 * TARGET_CEILING:.0f}", "table": _small(s),
            "exact_events": f"{ex['events']:,}", "exact_records": f"{ex['records']:,}",
            "exact_problems": str(len(ex["problems"]))}


def counts_values(counts: list) -> dict:
    return {"table": "\n".join(f"| {c['objects']:,} | {c['seconds']:.1f} s | {c['objects_per_s']:,.1f} | {c['vmhwm_mb']:.0f} MB | "
                               + (f"{c['naive_objects_per_s']:,.1f} |" if "naive_objects_per_s" in c else "|")
                               for c in counts)}


def large_values(big: dict, sections: dict) -> dict:
    o, f4, g = big["one"], big["four"], big["gunzip"]
    return {"gb": f"{big['uncompressed_mb'] / 1e3:.2f}", "records": f"{big['records']:,}",
            "compressed_mb": f"{big['compressed_mb']:.0f}", "events": f"{o['events']:,}", "seconds": f"{o['seconds']:.0f}",
            "events_per_s": f"{o['events_per_s']:,.0f}", "mb_per_s": f"{o['mb_per_s']:.1f}",
            "vmhwm_mb": f"{o['vmhwm_mb']:.0f}", "gunzip_mb_per_s": f"{g['mb_per_s']:,.0f}",
            "vs_gunzip": f"{100 * o['vs_gunzip']:.1f}", "four_vmhwm_mb": f"{f4['vmhwm_mb']:.0f}",
            "four_seconds": f"{f4['seconds']:.0f}", "four_events": f"{f4['events']:,}",
            "four_budget_note": "" if f4["complete"] else fill("large_budget", {"budget": f"{f4['budget']:.0f}"}, sections)}


def pipeline_values(t: dict) -> dict:
    sf = t["straightforward"]["events_per_s"]
    out = {"records": f"{t['records']:,}", "uncompressed_mb": f"{t['uncompressed_mb']:.0f}",
           "compressed_mb": f"{t['compressed_mb']:.1f}", "objects": str(t["objects"]), "repeats": str(t["repeats"]),
           "addon_ratio": f"{t['ratio_vs_straightforward']:.1f}x",
           "checked_events": f"{t['exactness_checked_events']:,}", "wrong": str(len(t["exactness_problems"])),
           "profile_rows": "\n".join(f"| `{r['function']}` | {r['calls']:,} | {100 * r['own_share']:.0f}% | "
                                     f"{100 * min(1.0, r['cumulative_share']):.0f}% |" for r in t.get("profile", [])[:8])}
    for name in ("straightforward", "addon", "addon_fsync", "parse_floor", "gunzip"):
        out[f"{name}_events_per_s"] = f"{t[name]['events_per_s']:,.0f}"
        out[f"{name}_mb_per_s"] = f"{t[name]['mb_per_s']:.1f}"
        if name not in ("straightforward", "addon"):
            out[f"{name}_ratio"] = f"{t[name]['events_per_s'] / sf:.1f}x"
    return out


def shared_checkpoint_values(r: dict) -> dict:
    return {"workers": str(r["workers"]), "objects": str(r["objects"]), "records_per_object": f"{r['records_per_object']:,}",
            "rounds": str(r["rounds"]), "local_events_per_s": f"{r['local_events_per_s']:,}",
            "local_every_round": _rounds(r["every_round"]["local"]),
            "local_dynamodb_requests": str(r["local_dynamodb_requests"]),
            "shared_events_per_s": f"{r['shared_events_per_s']:,}", "ratio": f"{r['ratio']:.2f}",
            "shared_every_round": _rounds(r["every_round"]["shared"]),
            "dynamodb_requests": f"{r['dynamodb_requests']:g}",
            "dynamodb_requests_per_object": f"{r['dynamodb_requests_per_object']:g}"}


def log_readers_values(rows: list) -> dict:
    return {"lines": f"{rows[0]['lines']:,}", "rounds": str(rows[0]["rounds"]),
            "table": "\n".join(f"| {r['log_type']} | `{r['sample']}` | {r['split_lines_per_s']:,} | {r['text_lines_per_s']:,} | "
                               f"**{r['type_lines_per_s']:,}** | {r['ratio_vs_text']:.2f} | {r['ratio_vs_split']:.2f} |"
                               for r in rows)}


def xml_writer_values(r: dict) -> dict:
    return {"table": "\n".join(f"| {case} | {f['data_mb']} | {f['previous_us_per_batch']:,} us | **{f['us_per_batch']:,} us** | "
                               f"{f['ratio']:.2f} | {f['mb_per_s']:,} |" for case, f in r.items())}


def hash_cost_values(r: dict) -> dict:
    return {"records": f"{r['records']:,}", "uncompressed_mb": str(r["uncompressed_mb"]), "python": str(r["python"]),
            "rounds": str(r["rounds"]), "plain_events_per_s": f"{r['plain_events_per_s']:,}",
            "hashed_events_per_s": f"{r['hashed_events_per_s']:,}", "ratio": f"{r['ratio']:.3f}",
            "cost_percent": str(r["cost_percent"])}


# The template sections after part 5, in page order, with the function that computes each one's values.
SECTIONS = (("shared_checkpoint", shared_checkpoint_values), ("log_readers", log_readers_values),
            ("xml_writer", xml_writer_values), ("hash_cost", hash_cost_values))


def page(results: dict, sections: dict) -> list:
    """The page in order: (template section, its values) pairs, or (None, text) for a section
    written by its part's module (small_fast, large_e2e)."""
    s, big, t = results.get("small"), results.get("large"), results.get("pipeline")
    rows, counts = results.get("sizes") or [], results.get("counts") or []
    out = [("head", head_values(results, sections))]
    if s:
        out.append(("small", small_values(s, sections)))
    if results.get("small_fast"):
        from .small_fast import markdown as fast_markdown

        out.append((None, fast_markdown(results["small_fast"], results["small_fast"].get("when", ""))))
    if rows:
        out.append(("sizes", {"table": _sizes(rows, big)}))
    if counts:
        out.append(("counts", counts_values(counts)))
    if big:
        out.append(("large", large_values(big, sections)))
    if t:
        out.append(("pipeline", pipeline_values(t)))
    out += [(name, values(results[name])) for name, values in SECTIONS if results.get(name)]
    if results.get("large_e2e"):
        out.append((None, large_e2e.docs_section(results["large_e2e"])))
    s16 = (f"{s['runs']['getobject/50/16']['objects_per_s']:,.0f}" if s and "getobject/50/16" in s["runs"] else "less")
    out.append(("choosing", {"getobject_16": s16}))
    if results.get("small_fast"):
        from .small_fast import advice

        out.append(("choosing_fast", {"advice": advice(results["small_fast"])}))
    out.append(("reproduce", {}))
    return out


def markdown(results: dict) -> str:
    """docs/performance.md's text for these results."""
    sections = template_sections()
    return "".join(values if name is None else fill(name, values, sections) for name, values in page(results, sections))


def write(results: dict, docs_dir: str = os.path.join(ROOT, "docs")) -> None:
    """Write performance.svg and performance.md into ``docs_dir`` (the repository's docs/)."""
    with open(os.path.join(docs_dir, "performance.svg"), "w") as handle:
        handle.write(svg_chart(results))
    text = markdown(results)
    with open(os.path.join(docs_dir, "performance.md"), "w") as handle:
        handle.write(text)
