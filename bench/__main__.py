"""``python -m bench``: run every benchmark and print its figures (always exits 0: it measures)."""

from __future__ import annotations

import argparse
import sys

from bench import tenancy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--requests", type=int, default=tenancy.REQUESTS, help="measured requests per route and case")
    parser.add_argument("--warmup", type=int, default=tenancy.WARMUP, help="warm-up requests per route and case")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also print a cProfile of N requests of (a) and of (b) at the largest tenant count")
    args = parser.parse_args(argv)
    return tenancy.main(args)


if __name__ == "__main__":
    sys.exit(main())
