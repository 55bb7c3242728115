"""docs/performance.md's writer (scripts/benchmarks/docs.py): the prose lives in
scripts/benchmarks/performance.md.tmpl; every placeholder of every section must be filled from
a results dict shaped as scripts/bench.py writes it (bench-out/results.json), and the figures
must reach the page."""

from __future__ import annotations

import copy
import re

import pytest

from benchmarks import docs


def _small_run(objects_per_s: float, **extra) -> dict:
    return {"objects_per_s": objects_per_s, "every_round": [objects_per_s - 1, objects_per_s + 1], **extra}


def synthetic_results() -> dict:
    """Every part, with both sides of each choice the writer makes where one dict can hold both."""
    runs = {}
    for d in (0, 50):
        for w in (1, 4, 16):
            runs[f"getobject/{d}/{w}"] = _small_run(100.0 + 10 * w + d)
            runs[f"addon/{d}/{w}"] = _small_run(20.0 + w + d / 10, vs_ceiling=0.81, vmhwm_mb=56.4,
                                                 cpu_ms_per_object=5.25,
                                                 **({"vs_one_worker": 2.6} if w > 1 else {}),
                                                 **({"vs_queue_loop": 0.93} if d == 50 else {}))
            if d == 50:
                runs[f"queue/{d}/{w}"] = _small_run(30.0 + w)
        runs[f"naive/{d}/1"] = _small_run(7.4 + d)
    fast_runs = {}
    for w in (4, 8, 16):
        fast_runs[f"addon/50/{w}"] = {"objects_per_s": 40.0 * w, "every_round": [39.5, 41.5], "complete": True,
                                      "cpu_ms_per_object": 4.5, "vs_queue_loop": 0.88, "vs_getobject_loop": 0.7,
                                      "cpu_vs_queue_loop": 1.4}
        fast_runs[f"queue/50/{w}"] = {"objects_per_s": 45.0 * w, "every_round": [1.0], "complete": True,
                                      "cpu_ms_per_object": 3.2, "messages_per_receive": 9.5}
        fast_runs[f"getobject/50/{w}"] = {"objects_per_s": 50.0 * w, "every_round": [1.0], "complete": True,
                                          "cpu_ms_per_object": 2.5}
    addon_e2e = {"seconds": 3.7, "events_per_s": 53987, "mb_per_s": 74.7, "cpu_seconds": 2.9, "cpu_us_per_event": 14.5,
                 "complete": True, "vmhwm_mb": 120, "every_round_events_per_s": [53000, 54000]}
    e2e_python = {"addon": addon_e2e, "naive": dict(addon_e2e, events_per_s=10637, mb_per_s=14.7),
                  "before": dict(addon_e2e, events_per_s=34382), "before_ratio": 3.23, "before_cpu_ratio": 3.62,
                  "gunzip_mb_per_s": 493.0, "parse_mb_per_s": 88.2, "parse_events_per_s": 99000, "ratio": 5.08,
                  "every_round_ratio": [5.06, 6.81, 5.08], "cpu_ratio": 4.93, "vs_parse_floor": 0.85,
                  "vs_gunzip": 0.15, "parse_cpu_mb_per_s": 101.3, "addon_cpu_mb_per_s": 96.8,
                  "cpu_vs_parse_floor": 0.96, "each_mb_per_s": 138.2, "each_cpu_mb_per_s": 163.1,
                  "vs_each_floor": 0.54, "cpu_vs_each_floor": 0.59}
    return {
        "date": "2031-02-03 04:05 UTC", "quick": True, "elapsed_seconds": 1086.0, "input_python": "3.9.18",
        "machine": {"nproc": 7, "cpu": "Test CPU model", "python": "3.11.7", "platform": "Linux-test",
                    "loadavg_start": [2.68, 2.23, 2.11], "loadavg_end": [1.97, 1.98, 2.07]},
        "small": {"objects": 123, "records_per_object": 20, "object_kb_gzipped": 3.46, "rounds": 2,
                  "run_date": "2031-02-04", "delays": [0, 50], "workers": [1, 4, 16], "runs": runs,
                  "exactness": {"events": 2460, "records": 2460, "problems": []}},
        "small_fast": {"objects": 300, "records_per_object": 20, "rounds": 2, "delays": [50], "workers": [4, 8, 16],
                       "sqs": "scripts/sqs_standin.py", "s3": "moto", "runs": fast_runs, "when": " (a test run)"},
        "sizes": [
            {"size_bytes": 1_000, "objects": 100, "records_per_object": 1,
             "addon": {"seconds_per_object": 0.0201, "mb_per_s": 0.1, "vmhwm_mb": 56.0},
             "naive": {"seconds_per_object": 0.0285, "mb_per_s": 0.04, "vmhwm_mb": 50.0}},
            {"size_bytes": 10_000_000, "objects": 3, "records_per_object": 7222,
             "addon": {"seconds_per_object": 0.2218, "mb_per_s": 45.1, "vmhwm_mb": 89.0}},
        ],
        "counts": [{"objects": 100, "seconds": 1.5, "objects_per_s": 67.4, "vmhwm_mb": 57.0},
                   {"objects": 1000, "seconds": 52.8, "objects_per_s": 18.9, "vmhwm_mb": 57.0,
                    "naive_objects_per_s": 17.25}],
        "large": {"uncompressed_mb": 999.4, "compressed_mb": 87.6, "records": 722161,
                  "one": {"events": 722161, "seconds": 16.4, "events_per_s": 44017.0, "mb_per_s": 60.9,
                          "vmhwm_mb": 68.0, "vs_gunzip": 0.0812, "complete": True},
                  "four": {"events": 1500000, "seconds": 60.2, "vmhwm_mb": 108.0, "complete": False, "budget": 60.0},
                  "gunzip": {"mb_per_s": 750.3}},
        "pipeline": {"records": 60000, "uncompressed_mb": 83.1, "compressed_mb": 7.25, "objects": 3, "repeats": 3,
                     "straightforward": {"events_per_s": 16941.0, "mb_per_s": 23.4},
                     "addon": {"events_per_s": 74924.0, "mb_per_s": 103.7},
                     "addon_fsync": {"events_per_s": 72383.0, "mb_per_s": 100.2},
                     "parse_floor": {"events_per_s": 138626.0, "mb_per_s": 191.9},
                     "gunzip": {"events_per_s": 787162.0, "mb_per_s": 1089.5},
                     "ratio_vs_straightforward": 4.42, "exactness_checked_events": 60000, "exactness_problems": [],
                     "profile": [{"function": f"f{i}", "calls": 20033, "own_share": 0.28, "cumulative_share": 1.02}
                                 for i in range(10)]},
        "shared_checkpoint": {"workers": 4, "objects": 4, "records_per_object": 1000, "rounds": 3,
                              "local_events_per_s": 33809, "shared_events_per_s": 20049, "ratio": 0.593,
                              "every_round": {"local": [18660, 36897, 33809], "shared": [27326, 20049, 19765]},
                              "local_dynamodb_requests": 0, "dynamodb_requests": 19.0,
                              "dynamodb_requests_per_object": 4.75},
        "log_readers": [{"log_type": "vpc_flow", "sample": "default_v2.log", "lines": 200000, "rounds": 3,
                         "split_lines_per_s": 6176786, "text_lines_per_s": 791445, "type_lines_per_s": 446317,
                         "ratio_vs_text": 0.564, "ratio_vs_split": 0.072}],
        "xml_writer": {"cloudtrail_ascii": {"data_mb": 1.39, "previous_us_per_batch": 665, "us_per_batch": 1261,
                                            "ratio": 1.9, "mb_per_s": 1099}},
        "hash_cost": {"records": 20000, "uncompressed_mb": 27.7, "python": "3.9.18", "rounds": 5,
                      "plain_events_per_s": 74275, "hashed_events_per_s": 71526, "ratio": 0.963, "cost_percent": 3.7},
        "large_e2e": {"objects": 10, "records_per_object": 20000, "uncompressed_mb": 276.4, "compressed_mb": 24.1,
                      "workers": 8, "rounds": 3, "target": 4.0, "date": "2031-02-03 05:00 UTC",
                      "pythons": {"3.9.18": e2e_python}, "before_app": "/tmp/before",
                      "loadavg": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]},
    }


def _other_side(results: dict) -> dict:
    """The other side of the choices one dict cannot hold: not --quick, no re-run date, the four
    large objects complete, no fast-SQS part, no 16-thread GetObject loop at 50 ms."""
    other = copy.deepcopy(results)
    other["quick"] = False
    del other["small"]["run_date"], other["small_fast"], other["small"]["runs"]["getobject/50/16"]
    other["small"]["workers"] = [1, 4]
    other["large"]["four"]["complete"] = True
    return other


LEFT_OVER = re.compile(r"\$\{?[A-Za-z_]|\{[a-z_]+[}\[:!]|@@ ")


@pytest.mark.parametrize("variant", ["every part", "the other side", "machine only"])
def test_every_placeholder_is_filled(variant):
    results = synthetic_results()
    if variant == "the other side":
        results = _other_side(results)
    elif variant == "machine only":
        results = {key: results[key] for key in ("date", "machine")}
    text = docs.markdown(results)
    assert not LEFT_OVER.findall(text)
    assert text.startswith("# Performance\n\nMeasured by `make bench`") and text.endswith("Exit status 1 when a target fails.\n")


def test_every_template_section_is_used_and_filled():
    sections = docs.template_sections()
    results = synthetic_results()
    used = {name for name, _ in docs.page(results, sections) if name}
    used |= {name for name, _ in docs.page(_other_side(results), sections) if name}
    fragments = {"head_quick", "small_run_date", "large_budget"}  # filled inside head, small and large
    assert used | fragments == set(sections)
    for name, values in docs.page(results, sections):
        if name:
            wanted = {m.group("named") or m.group("braced") for m in sections[name].pattern.finditer(sections[name].template)}
            assert wanted <= set(values), (name, wanted - set(values))


def test_figures_reach_the_page():
    text = docs.markdown(synthetic_results())
    for figure in ("on 2031-02-03 04:05 UTC\n(`--quick`) in 18.1 minutes",  # head, quick note
                   "| CPUs (`nproc`) | 7 |", "the same 7 CPUs", "| CPU model | Test CPU model |",
                   "2.68, 2.23, 2.11 / 1.97, 1.98, 2.07",
                   "123 CloudTrail objects of 20 records (3.5 KB gzipped each)",
                   "every round listed. This part was measured again on 2031-02-04 on the final build",
                   "| 50 ms | 16 | **41.0** | 310.0 | 81% | 46.0 | 93% | 2.6x |",  # part 1 row
                   "| 0 ms | 1 | **21.0** | 110.0 | 81% | | |  | 20.0, 22.0 | 5.2 ms | 56 MB | 7.4 |",
                   "2,460\nevents for 2,460 records, 0 problem(s)",
                   "## 1b. Small objects with a fast SQS", " (a test run)",
                   "| 1 KB | 100 | 1 | 20.1 ms | 0.1 | 56 MB | 28.5 ms | 0.0 | 50 MB |",
                   "| 10 MB | 3 | 7,222 | 221.8 ms | 45.1 | 89 MB | not run (it would hold",
                   "| 999 MB | 1 | 722,161 | 16,400 ms | 60.9 | 68 MB | not run | | |",
                   "| 1,000 | 52.8 s | 18.9 | 57 MB | 17.2 |", "| 100 | 1.5 s | 67.4 | 57 MB | |",
                   "One CloudTrail object of 1.00 GB uncompressed (722,161 records,\n88 MB gzipped",
                   "**44,017 events/s,\n60.9 MB/s**", "8.1% of it", "(1,500,000 events written, stopped at the 60 s time budget)",
                   "60,000 CloudTrail records (83 MB uncompressed, 7.2 MB gzipped) in\n3 objects",
                   "| 74,924 | 103.7 | **4.4x** |", "| 138,626 | 191.9 | 8.2x |", "| `f7` | 20,033 | 28% | 100% |",
                   "| shared, DynamoDB | 20,049 | **0.59** | 27,326, 20,049, 19,765 | 19 (4.75 per object) |",
                   "repeated to 200,000 lines", "**446,317** | 0.56 | 0.07 |",
                   "| cloudtrail_ascii | 1.39 | 665 us | **1,261 us** | 1.90 | 1,099 |",
                   "| with SHA-256 | 71,526 | **0.963** (3.7% cost) |",
                   "## Large CloudTrail objects end to end (issue 24)",
                   "part 1's loop\nreached 310 here", "\nOn the fast-SQS rig (part 1b, 50 ms per call)",
                   "(192 messages received and unfinished at most).\n\n## Reproduce"):
        assert figure in text, figure
    assert "| `f8` |" not in text  # eight profile rows at most
    other = docs.markdown(_other_side(synthetic_results()))
    for figure in ("on 2031-02-03 04:05 UTC\nin 18.1 minutes", "every round listed.\n",
                   "part 1's loop\nreached less here", "(1,500,000 events written).",
                   "objects are large.\n\n## Reproduce"):
        assert figure in other, figure
    assert "1b." not in other and "measured again" not in other


def test_write_puts_both_files_in_the_given_directory(tmp_path):
    results = synthetic_results()
    docs.write(results, str(tmp_path))
    assert (tmp_path / "performance.md").read_text() == docs.markdown(results)
    assert (tmp_path / "performance.svg").read_text().startswith("<svg ")


def test_a_missing_value_is_an_error():
    with pytest.raises(KeyError):
        docs.fill("choosing", {})
