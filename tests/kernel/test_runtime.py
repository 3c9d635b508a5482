"""The garbage collector as the moisson command tunes it (kernel/runtime.py)."""

from __future__ import annotations

import gc

from kernel.runtime import GC_THRESHOLDS, tune_gc


def test_the_collector_is_tuned_once_and_what_was_loaded_is_frozen_once() -> None:
    thresholds = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        frozen = gc.get_freeze_count()
        assert frozen > 0  # what the process had loaded is no longer traversed
        later = [[n] for n in range(1000)]  # objects made after the first call...
        tune_gc()
        assert gc.get_freeze_count() == frozen  # ... are not frozen by a second one (a test session calls it often)
        assert later[-1] == [999]
    finally:
        gc.set_threshold(*thresholds)
