#!/usr/bin/env python3
"""Per-call overhead of the Python bindings: translate_many on N VAs against a Python
loop over the same VAs, in one run (method and figures in bench/README.md).

usage: PYTHONPATH=build/bindings/python /usr/bin/python3 bench/bench_python.py \
           [--mkimage build/tests/support/ss-mkimage] [--n 1000000] [--reps 5]

The image is the demo image (ss-mkimage); the VAs are drawn (fixed seed) from the pages
session 1's root maps: the 16 kernel pages, the 512 4 KiB pages of the 2 MiB kernel page,
the session page, the shared page, the transition page and the user page, each with a
random offset, so every VA translates and every path is the cached one (the cache holds
all of them): what is measured is the cost of getting N answers into Python.
"""
import argparse
import array
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import sessionspace as ss


def timed(fn, reps):
    fn()  # warm-up (fills the translation cache)
    times = []
    for _ in range(reps):
        t0 = time.process_time()  # CPU time of this process: the machine may be shared
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mkimage", default=os.path.join("build", "tests", "support", "ss-mkimage"))
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        raw, txt = os.path.join(tmp, "demo.raw"), os.path.join(tmp, "demo.txt")
        subprocess.run([args.mkimage, raw, txt], check=True)
        meta = {k: int(v, 16) for k, v in (line.split() for line in open(txt))}
        pages = ([meta["va_kernel"] + i * 4096 for i in range(16)] +
                 [meta["va_kernel_large"] + i * 4096 for i in range(512)] +
                 [meta["va_session"] + i * 4096 for i in range(3)] + [meta["va_user"]])
        rng = random.Random(1)
        vas = [rng.choice(pages) + rng.randrange(4096) for _ in range(args.n)]
        buf = array.array("Q", vas)
        raw_bytes = buf.tobytes()

        with ss.open(raw) as src, src.space(meta["dtb_session1"], "x64") as sp:
            r = sp.translate_many(buf)
            assert r.ntranslated == args.n, "every VA translates"
            # Same answers on every path (checked on a prefix; the loops below re-check).
            assert [sp.pa(v) for v in vas[:1000]] == list(r.pas[:1000])
            assert [sp.translate(v).pa for v in vas[:1000]] == list(r.pas[:1000])
            c_ptr = sp._ptr()
            c_translate = ss.capi.ss_translate

            def loop_pa():
                pa = sp.pa
                return [pa(v) for v in vas]

            def loop_capi():
                return [c_translate(c_ptr, v)[1] for v in vas]

            def loop_translate():
                tr = sp.translate
                return [tr(v).pa for v in vas]

            rows = [
                ("translate_many(array('Q'))", lambda: sp.translate_many(buf)),
                ("translate_many(bytes)", lambda: sp.translate_many(raw_bytes)),
                ("translate_many(list of int)", lambda: sp.translate_many(vas)),
                ("loop: space.pa(va) (cached ss_translate)", loop_pa),
                ("loop: capi.ss_translate(ptr, va) (SWIG call, no Python layer)", loop_capi),
                ("loop: space.translate(va) (full walk, Translation object)", loop_translate),
            ]
            results = [(name, timed(fn, args.reps)) for name, fn in rows]
            assert loop_pa() == list(r.pas) and loop_translate() == list(r.pas)

    base = results[0][1]
    print(f"N = {args.n:,} VAs, median of {args.reps} runs (process CPU time), Python {sys.version.split()[0]}, "
          f"sessionspace {ss.version()}\n")
    print("| path | s per N | M VAs/s | ns/VA | × translate_many(array) |")
    print("|---|---|---|---|---|")
    for name, t in results:
        print(f"| {name} | {t:.3f} | {args.n / t / 1e6:.2f} | {t / args.n * 1e9:.0f} | {t / base:.1f} |")


if __name__ == "__main__":
    main()
