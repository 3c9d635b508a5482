"""Measurements behind design choices (``python -m bench``). Timings live here, never in the tests.

Each module is runnable on its own (``python -m bench.index_engines --docs 100000``) and writes its figures as JSON
to ``bench/results/`` so that the README quotes numbers somebody can reproduce.
"""
