#!/usr/bin/env python3
"""fleet.py — ask one question of every dump in a directory, in parallel, with Dask.

usage: fleet.py DIR [--va VA ...] [--glob PATTERN] [--image NAME] [--isf FILE] [--workers N]
                    [--scheduler ADDRESS | --threads]

One dump per Dask task; one JSON object per dump on stdout (JSON Lines), printed as the
answers arrive. The question, for each dump:
  - what it is: format, Windows build, paging mode, the page-table root it records;
  - for every --va: does it translate under that root, to which physical address, and
    if not, why (the ss_status name: not_present, pagefile, ...);
  - when the library has the Windows model (sessionspace.HAVE_NT_MODEL) and the dump
    names a Windows build: each session's processes ("sessions"), whether the first
    page of --image (win32kbase.sys) is one frame in every session ("image": advice,
    shared, same_content) and `where` for every --va ("where"); "model_error" when
    the model cannot be built (not Windows, no layout for the build: --isf).

Where it runs:
  default          a local Dask cluster (distributed.LocalCluster, one single-threaded
                   worker process per core, or --workers N);
  --scheduler ADDR a running cluster (`dask-scheduler` + `dask-worker`s): every worker
                   must import sessionspace and see the dumps under the same path;
  --threads        Dask's threaded scheduler in this process, no cluster. Used as well
                   when a local cluster cannot start (e.g. no sockets allowed); stderr
                   says so. Each task opens its own source and space, so the threads
                   share no handle.

A dump that cannot be read still gets its line, with "error": {"status", "message"}.
Exit status: 0 when every dump was read, 1 when one was not, 2 on bad usage.
"""
import argparse
import glob
import json
import logging
import os
import sys


def answer(path, vas, image="win32kbase.sys", isf=None):
    """The question for one dump (runs in a Dask worker). Returns a JSON-able dict."""
    import sessionspace as ss

    out = {"dump": path}
    try:
        with ss.open(path) as src:
            info = src.info
            mode, dtb = src.paging()
            out.update(format=src.format, build=info["build"] or None, mode=mode,
                       dtb=None if dtb is None else f"{dtb:#x}",
                       bytes=sum(size for _, size in src.ranges))
            if vas and (dtb is None or mode is None):
                out["vas_error"] = {"status": "unsupported",
                                    "message": "the dump records no paging mode or page-table root"}
            elif vas:
                with src.space() as space:
                    r = space.translate_many(vas)
                    out["vas"] = [{"va": f"{va:#x}", "status": st, "pa": None if pa is None else f"{pa:#x}"}
                                  for va, (pa, st) in zip(vas, r)]
                    out["translated"] = r.ntranslated
            if ss.HAVE_NT_MODEL and out["build"]:
                windows_answer(ss, src, out, vas, image, isf)
    except ss.Error as e:
        out["error"] = {"status": e.status_name, "message": e.message}
    return out


def windows_answer(ss, src, out, vas, image, isf):
    """With the Windows model: each session's processes, whether `image`'s first page
    is one frame in every session, and `where` for every --va."""
    try:
        model = src.model(isf=isf)
        sessions = model.sessions()
        out["sessions"] = [{"id": s.id, "processes": [{"pid": p.pid, "name": p.name} for p in s.processes()]}
                           for s in sessions]
        base = next((i["base"] for s in sessions for i in s.images() if i["name"].lower() == image.lower()), None)
        if base is None:
            out["image"] = {"name": image, "error": "not in any session's image list (image names need a "
                                                    "profile that describes them: --isf)"}
        else:
            w = model.where(base)
            out["image"] = {"name": image, "base": f"{base:#x}", "advice": w.advice, "shared": w.shared,
                            "same_content": w.same_content, "translated": w.ntranslated, "sessions": w.nsessions}
        out["where"] = [{"va": f"{w.va:#x}", "region": w.region, "advice": w.advice, "shared": w.shared,
                         "translated": w.ntranslated} for w in map(model.where, vas)]
    except ss.Error as e:
        out["model_error"] = {"status": e.status_name, "message": e.message}


def dumps_in(directory, pattern):
    return sorted(p for p in glob.glob(os.path.join(directory, pattern)) if os.path.isfile(p))


def emit(result):
    print(json.dumps(result, sort_keys=True), flush=True)
    return "error" not in result


def run_threads(paths, vas, **question):
    import dask

    tasks = [dask.delayed(answer, pure=False)(p, vas, **question) for p in paths]
    ok = True
    for result in dask.compute(*tasks, scheduler="threads"):
        ok = emit(result) and ok
    return ok


def start_cluster(scheduler, workers):
    """A client of the given scheduler, or of a new local cluster: (client, cluster or None)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s"), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_cluster(client, paths, vas, **question):
    from distributed import as_completed

    futures = client.map(answer, paths, vas=vas, pure=False, **question)
    ok = True
    for future in as_completed(futures):
        ok = emit(future.result()) and ok
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description="Ask one question of every dump in a directory, with Dask.")
    ap.add_argument("directory")
    ap.add_argument("--va", action="append", default=[], help="a VA to translate in every dump (repeatable; kd text)")
    ap.add_argument("--glob", default="*", help="which files of DIR are dumps (default: every file)")
    ap.add_argument("--image", default="win32kbase.sys", help="the session image whose first page is checked")
    ap.add_argument("--isf", help="a Volatility 3 ISF symbol file for the Windows model (builds with no "
                                  "built-in layout; image names)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local cluster worker processes")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (tcp://host:8786)")
    where.add_argument("--threads", action="store_true", help="Dask's threaded scheduler, no cluster")
    args = ap.parse_args(argv)

    import sessionspace as ss

    try:
        vas = [ss.parse_va(v) for v in args.va]
    except ss.Error as e:
        print(f"fleet: {e}", file=sys.stderr)
        return 2
    if not os.path.isdir(args.directory):
        print(f"fleet: {args.directory}: not a directory", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("fleet: --workers must be at least 1", file=sys.stderr)
        return 2
    paths = dumps_in(args.directory, args.glob)
    client = cluster = None
    if not args.threads:
        try:
            client, cluster = start_cluster(args.scheduler, args.workers)
        except (OSError, TimeoutError) as e:
            if args.scheduler:
                print(f"fleet: cannot reach the scheduler {args.scheduler}: {e}", file=sys.stderr)
                return 1
            print(f"fleet: the local cluster did not start ({e}); using the threaded scheduler",
                  file=sys.stderr)
    question = {"image": args.image, "isf": args.isf}
    if client is None:
        ok = run_threads(paths, vas, **question)
    else:
        try:
            ok = run_cluster(client, paths, vas, **question)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
