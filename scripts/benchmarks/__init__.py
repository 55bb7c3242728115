"""The parts of `make bench` (scripts/bench.py): rig, product runs, pipeline, report, docs."""
