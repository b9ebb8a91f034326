"""Where a training step's time goes, per backend, for `backends.py --profile`.

* torch: `torch.profiler`, operators by self CPU time.
* jax and tensorflow: the backend's own profiler (`jax.profiler`,
  `tf.profiler.experimental`) writes an XSpace (`*.xplane.pb`); its host
  plane holds one line of events per thread. Each XLA operation (an event
  with an `hlo_op` stat) gets its self time (its duration less that of the
  events nested in it), summed over the threads, as a share of the cores'
  time (wall time x usable cores).

  XLA-CPU hands most convolutions to Eigen's thread pool, whose blocks carry
  no operation event: the convolution events cover only the dispatch. The
  pool marks each task it runs (`ThreadpoolListener::StartRegion` /
  `StopRegion`), so the time inside tasks that no operation or wait covers
  is reported as `untraced_task_core_percent`: the convolutions'
  arithmetic, and the other partitions of fusions that XLA splits across
  the cores (their event is on one thread only, so at most (cores - 1) x
  the traced fusions' share). What is left of the cores' time is
  `idle_core_percent`; the shares can add to a little over 100% when more
  threads than cores are runnable (Python's, the runtime's).

The XSpace is read with the protobuf module that the tensorflow package
ships (`tensorflow/tsl/profiler/protobuf/xplane_pb2.py`), loaded on its own
without importing TensorFlow; without the tensorflow package the jax
profile is skipped with a note.

Example:

```python
profile = xla_profile(lambda: fit(2, []), "jax", iterations=2, cores=2)
profile["untraced_task_core_percent"], profile["kinds"], profile["rows"][:3]
```
"""

import collections
import glob
import importlib.util
import os
import re
import shutil
import tempfile
import time

WAITS = ("BlockUntilReady", "wait for completion")

# (kind, pattern on the operation's name), first match wins.
KINDS = (
    ("convolutions (traced part)", re.compile(r"conv", re.I)),
    ("layout copies and transposes", re.compile(r"transpose|copy|bitcast_pad|pad_gather|slice_bitcast", re.I)),
    ("YNNPACK fusions (dots; also convolutions under XLA's defaults)", re.compile(r"ynn_fusion", re.I)),
    ("dot products (batch-norm sums, dense)", re.compile(r"\bdot\b|dot_|matmul", re.I)),
    ("reductions", re.compile(r"reduce", re.I)),
    ("elementwise fusions", re.compile(r"fusion|^wrapped_", re.I)),
)


def torch_profile(run, rows=12):
    """Top operators by self CPU time over `run()` (torch.profiler)."""
    import torch

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        run()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events) or 1.0
    return [
        {"op": e.key, "self_cpu_percent": round(100.0 * e.self_cpu_time_total / total, 1),
         "calls": e.count}
        for e in events[:rows]
    ]


def op_name(name):
    """`transpose_copy_fusion.21` -> `transpose_copy_fusion`: one row per kind of XLA operation."""
    return re.sub(r"(\.\d+)+$", "", name)


def op_kind(name):
    for kind, pattern in KINDS:
        if pattern.search(name):
            return kind
    return "other"


def xplane_module():
    """The tensorflow package's `xplane_pb2`, loaded without importing TensorFlow (None if absent)."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "tsl", "profiler", "protobuf", "xplane_pb2.py")
    if not os.path.exists(path):
        return None
    module_spec = importlib.util.spec_from_file_location("kerasgan_bench_xplane_pb2", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _union(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _overlap(a, b):
    """Total length shared by two sorted lists of disjoint intervals."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        total += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def line_times(events):
    """What one thread did: XLA operations' self times, and its untraced task time.

    `events`: (name, offset_ps, duration_ps, is_xla_operation), in any order.
    Events on one line nest; an event's self time is its duration less that
    of its direct children. Returns ({operation: [self ps, count]},
    untraced_ps): the time inside the thread pool's tasks (from each
    `ThreadpoolListener::StartRegion` to the next `StopRegion`) that no XLA
    operation or wait covers.
    """
    events = sorted(events, key=lambda e: (e[1], -e[2]))
    own = [e[2] for e in events]
    stack = []  # indices of the enclosing events
    for i, (_, start, duration, _) in enumerate(events):
        while stack and events[stack[-1]][1] + events[stack[-1]][2] <= start:
            stack.pop()
        if stack:
            own[stack[-1]] -= duration
        stack.append(i)
    operations = collections.defaultdict(lambda: [0, 0])
    regions, covered, region_start = [], [], None
    for (name, start, duration, is_operation), self_ps in zip(events, own):
        if name == "ThreadpoolListener::StartRegion":
            region_start = start
        elif name == "ThreadpoolListener::StopRegion" and region_start is not None:
            regions.append([region_start, start])
            region_start = None
        elif is_operation or any(w in name for w in WAITS):
            covered.append((start, start + duration))
            if is_operation:
                operations[name][0] += max(self_ps, 0)
                operations[name][1] += 1
    untraced = sum(end - start for start, end in regions) - _overlap(regions, _union(covered))
    return operations, untraced


def xspace_times(path, xplane_pb2):
    """({operation: [self ps, count]}, untraced task ps) over the host plane's threads."""
    space = xplane_pb2.XSpace()
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    totals, untraced = collections.defaultdict(lambda: [0, 0]), 0
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        # XLA's operations carry the `hlo_op` stat; runtime and Python events do not.
        hlo = {key for key, stat in plane.stat_metadata.items() if stat.name == "hlo_op"}
        for line in plane.lines:
            events = [(plane.event_metadata[e.metadata_id].name, e.offset_ps, e.duration_ps,
                       any(s.metadata_id in hlo for s in e.stats)) for e in line.events]
            operations, line_untraced = line_times(events)
            untraced += line_untraced
            for name, (self_ps, count) in operations.items():
                total = totals[op_name(name)]
                total[0] += self_ps
                total[1] += count
    return totals, untraced


def summarize(times, untraced_ps, wall_s, cores, iterations, rows=12):
    """Shares of the cores' time (wall x cores): XLA operations by kind, untraced task work, idle."""
    core_ps = wall_s * cores * 1e12

    def percent(ps):
        return round(100.0 * ps / core_ps, 1)

    ranked = sorted(times.items(), key=lambda kv: kv[1][0], reverse=True)
    kinds = collections.Counter()
    for name, (self_ps, _) in ranked:
        kinds[op_kind(name)] += self_ps
    traced = sum(self_ps for self_ps, _ in times.values())
    return {
        "rows": [
            {"op": name, "core_percent": percent(self_ps), "ms_per_iteration": round(self_ps / 1e9 / iterations, 1),
             "calls_per_iteration": round(count / iterations, 1)}
            for name, (self_ps, count) in ranked[:rows]
        ],
        "kinds": {kind: percent(ps) for kind, ps in kinds.most_common()},
        # Eigen's convolution blocks, and the other partitions of split fusions (module docstring).
        "untraced_task_core_percent": percent(untraced_ps),
        # Threads outnumber cores (Python's, the runtime's), so this is a floor of 0.
        "idle_core_percent": round(max(0.0, 100.0 - 100.0 * (traced + untraced_ps) / core_ps), 1),
        "wall_ms_per_iteration": round(1e3 * wall_s / iterations, 1),
        "cores": cores,
    }


def xla_profile(run, backend, iterations, cores, rows=12):
    """Profile `run()` (`iterations` training iterations) with the jax or tensorflow profiler."""
    xplane_pb2 = xplane_module()
    if xplane_pb2 is None:
        return {"note": "not profiled: reading the trace needs the tensorflow package's xplane_pb2"}
    logdir = tempfile.mkdtemp(prefix="kerasgan-profile-")
    try:
        if backend == "jax":
            import jax

            start, stop = (lambda: jax.profiler.start_trace(logdir)), jax.profiler.stop_trace
        else:
            import tensorflow as tf

            start, stop = (lambda: tf.profiler.experimental.start(logdir)), tf.profiler.experimental.stop
        start()
        try:
            t0 = time.perf_counter()
            run()
            wall_s = time.perf_counter() - t0
        finally:
            stop()
        (path,) = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        return summarize(*xspace_times(path, xplane_pb2), wall_s, cores, iterations, rows)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
