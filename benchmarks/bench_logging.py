"""What lifecycle logging costs spawn+join when it is off, on, and absent.

Variants, all in this process, interleaved and best-of-``--repeat``:

* ``no logging code``: Proc and Source methods recompiled from their own
  source with every ``if _LOG.enabled:`` block removed (AST rewrite), i.e.
  eventlib as if it had no logging at all;
* ``logging off``: eventlib as shipped, lifecycle logs disabled (the default);
* ``logging on, filtered``: lifecycle logs enabled, structlog configured with
  a filtering logger at WARNING, so events are built and then dropped.

Run: ``python benchmarks/bench_logging.py [--n 100000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import logging
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import structlog

import eventlib
import eventlib.log
from eventlib.proc import _proc, _source


class _StripLogging(ast.NodeTransformer):
    def visit_If(self, node: ast.If) -> ast.AST | None:
        test = node.test
        if (
            isinstance(test, ast.Attribute)
            and isinstance(test.value, ast.Name)
            and test.value.id == "_LOG"
            and test.attr == "enabled"
        ):
            return None
        return self.generic_visit(node)


def _without_logging(cls: type, name: str) -> object:
    function = getattr(cls, name)
    module = sys.modules[function.__module__]
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    tree = ast.fix_missing_locations(_StripLogging().visit(tree))
    namespace = dict(vars(module))
    exec(compile(tree, module.__file__ or "<stripped>", "exec"), namespace)
    return namespace[name]


PATCHES = [
    (_proc.Proc, "_prepare"),
    (_proc.Proc, "_finish"),
    (_source.Source, "_notify"),
]


def spawn_join(n: int) -> float:
    started = time.perf_counter()
    procs = [eventlib.spawn(int, i) for i in range(n)]
    for proc in procs:
        proc.wait()
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    args = parser.parse_args()

    originals = {(cls, name): getattr(cls, name) for cls, name in PATCHES}
    stripped = {(cls, name): _without_logging(cls, name) for cls, name in PATCHES}

    def use(methods: dict) -> None:
        for (cls, name), method in methods.items():
            setattr(cls, name, method)

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )

    def no_logging_code() -> float:
        use(stripped)
        try:
            return spawn_join(args.n)
        finally:
            use(originals)

    def logging_off() -> float:
        return spawn_join(args.n)

    def logging_on_filtered() -> float:
        eventlib.log.enable_lifecycle_logs()
        try:
            return spawn_join(args.n)
        finally:
            eventlib.log.disable_lifecycle_logs()

    variants = {
        "no logging code": no_logging_code,
        "logging off": logging_off,
        "logging on, filtered": logging_on_filtered,
    }
    spawn_join(1000)  # warm up the hub and the worker greenlets
    best = {name: float("inf") for name in variants}
    for _ in range(args.repeat):
        for name, variant in variants.items():
            best[name] = min(best[name], variant())
    if args.json:
        libraries = [
            {"library": "eventlib", "results": {"spawn+join": best["logging off"]}},
            {
                "library": "eventlib without logging code",
                "results": {"spawn+join": best["no logging code"]},
            },
            {
                "library": "eventlib, logging on (filtered)",
                "results": {"spawn+join": best["logging on, filtered"]},
            },
        ]
        payload = {"n": args.n, "repeat": args.repeat, "libraries": libraries}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    base = best["no logging code"]
    print(f"bench_logging: spawn+join, N={args.n}, best of {args.repeat}")
    for name, micros in best.items():
        print(f"  {name:22} {micros:6.2f} µs/op   ratio to no logging code {micros / base:5.3f}")


if __name__ == "__main__":
    main()
