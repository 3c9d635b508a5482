"""``python -m bench [--quick]``: every benchmark, with its default size (or a small one with --quick)."""

from __future__ import annotations

import sys

from bench import index_engines


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    return index_engines.main(["--docs", "20000"] if quick else [])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
