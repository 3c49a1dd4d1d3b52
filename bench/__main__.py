"""``python -m bench [tenancy|reports|informieren|letters|retention|upload_memory]``: run the benchmarks
(default: all).

Each prints its figures. They exit 0: they measure, they do not judge the build; only
``upload_memory --check`` exits 1 when a phase exceeds its memory goal (``.ci/run`` uses it).
"""

from __future__ import annotations

import argparse
import sys

from bench import informieren, informieren_letters, informieren_retention, reports, tenancy, upload_memory

BENCHMARKS = {"tenancy": tenancy.main, "reports": reports.main, "informieren": informieren.main,
              "letters": informieren_letters.main, "retention": informieren_retention.main,
              "upload_memory": upload_memory.main}


def _counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="?", choices=("all", *BENCHMARKS), default="all",
                        help="the benchmark to run (default: all, one after the other)")
    tenancy_options = parser.add_argument_group("tenancy")
    tenancy_options.add_argument("--requests", type=int, default=tenancy.REQUESTS,
                                 help="measured requests per route and case")
    tenancy_options.add_argument("--warmup", type=int, default=tenancy.WARMUP,
                                 help="warm-up requests per route and case")
    tenancy_options.add_argument("--profile", type=int, default=0, metavar="N",
                                 help="also print a cProfile of N requests of (a) and of (b) at the largest tenant"
                                      " count")
    reports_options = parser.add_argument_group("reports")
    reports_options.add_argument("--report-tenants", type=_counts, metavar="N,N,...",
                                 help="tenant counts of the canton report (default: "
                                      f"{','.join(map(str, reports.TENANT_COUNTS))})")
    reports_options.add_argument("--jobs", type=int, default=reports.JOBS, help="measured jobs on the rq worker")
    reports_options.add_argument("--report-profile", action="store_true",
                                 help="also print a cProfile of the canton report at the largest tenant count")
    letters_options = parser.add_argument_group("letters")
    letters_options.add_argument("--letter-persons", type=int, default=informieren_letters.PERSONS,
                                 help="newcomers to write to")
    letters_options.add_argument("--letter-households", type=int, default=informieren_letters.HOUSEHOLDS,
                                 help="households they live in (at most two persons each)")
    import_options = parser.add_argument_group("informieren")
    import_options.add_argument("--import-scale", type=float, default=1.0, metavar="F",
                                help="fraction of the sizes (10,000 messages, 50,000 persons) to import")
    memory_options = parser.add_argument_group("upload_memory")
    memory_options.add_argument("--small", action="store_true", help="small sizes (about a minute)")
    memory_options.add_argument("--check", action="store_true",
                                help=f"exit 1 when a phase exceeds {upload_memory.GOAL_MB} MB or fails")
    args = parser.parse_args(argv)
    chosen = [run for name, run in BENCHMARKS.items() if args.which in ("all", name)]
    status = 0
    for number, run in enumerate(chosen):
        if number:
            print(flush=True)
        status = max(status, run(args) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
