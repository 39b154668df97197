"""Performance figures, measured side by side in one invocation.

    python3 benchmarks/bench_performance.py [--quick] [--no-forecast] [--repeats 2]
                                            [--csv benchmarks/out/performance.csv]

Prints one table and writes it to CSV:

- throughput: a full-scale baseline run (construction included) with Mesa Student objects
  (``run.student_agents = true``, what ``SkillsModel()`` and the dashboard build) and with the
  column arrays alone (``false``, what the batch commands run), and Mesa's Boltzmann wealth
  example with as many agents for as many months, all three in ONE process, alternating, the
  fastest repeat of each counting. Rates are agent-steps per second (students in the system,
  schools and enterprises, times months: the same count in both modes, and what Mesa agents
  alive x months is with objects; every simulated month counts, the spin-up's included, and
  Boltzmann runs as many) and student-months per second, in wall-clock and in CPU
  seconds of the process (the machine is shared: CPU seconds move less with the neighbours);
- split: each mode's time between Mesa's own student bookkeeping (creating, placing and
  removing Student agents), Python's cyclic garbage collector, and the model's logic;
- floor: what Mesa alone takes to create and remove the object run's student agents;
- scaling: the batch mode's CPU time per student-month and peak memory at 0.25-4x the city;
- shared: the scenarios of one seed (2, and all 5 shipped) run from scratch against one spin-up
  continued per scenario, as forecast and sweep run them, CPU seconds per run;
- parallel: full-scale runs per minute with 2 worker processes against 1 (a sweep's workload),
  the workers started before the clock (their start-up is reported apart);
- forecast: the default ``skills-sim forecast`` (50 replicates, 2 workers): wall time (and the
  manifest's simulation and output seconds), the peak resident memory of all its processes
  together (RSS summed, and PSS, which counts a page shared by forked workers once) with the
  processes alive at that peak, and the load average before and after.

Scaling, parallel and forecast cases run in fresh subprocesses, so each peak memory figure is
that run's own. Compare ratios measured in the same invocation, not absolute times.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASE = r"""
import gc, json, resource, sys, time
kind, arg = sys.argv[1], json.loads(sys.argv[2])
collecting = {"s": 0.0, "t": 0.0}
def on_gc(phase, info):
    if phase == "start":
        collecting["t"] = time.perf_counter()
    else:
        collecting["s"] += time.perf_counter() - collecting["t"]
gc.callbacks.append(on_gc)

def skills(scale, objects, seed=1):
    from sim import SkillsModel, load_params
    from sim.model.scaling import scale_city
    from sim.model.students import State
    import sim.model.model as sm
    spent = {"bookkeeping": 0.0, "created": 0}
    original, make = sm.SkillsModel.update_student_view, sm.Student.__init__
    def counted(self, *a):
        spent["created"] += 1
        make(self, *a)
    sm.Student.__init__ = counted
    def timed(self, rows):
        # Collections that fall inside are counted as the collector's, not twice.
        t, g = time.perf_counter(), collecting["s"]
        original(self, rows)
        spent["bookkeeping"] += time.perf_counter() - t - (collecting["s"] - g)
    sm.SkillsModel.update_student_view = timed
    # Every simulated month counts, the spin-up's (inside construction) as well as the plan's.
    counted = {"student_months": 0, "months": 0}
    month = sm.SkillsModel._simulate_month
    def simulate(self):
        month(self)
        n = self.students.count_states()
        counted["student_months"] += int(n[State.ENROLLED] + n[State.SEARCHING])
        counted["months"] += 1
    sm.SkillsModel._simulate_month = simulate
    params = scale_city(load_params(overrides={"run.student_agents": objects}), scale)
    gc.collect()
    collecting["s"] = 0.0
    w0, c0 = time.perf_counter(), time.process_time()
    model = SkillsModel(params, seed=seed)
    build = time.perf_counter() - w0
    fixed = model.schools.n + model.enterprises.n
    while model.running:
        model.step()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    sm.SkillsModel.update_student_view, sm.Student.__init__ = original, make
    sm.SkillsModel._simulate_month = month
    n = model.students.count_states()
    months, student_months = counted["months"], counted["student_months"]
    out = {"wall_s": wall, "cpu_s": cpu, "build_s": build, "months": months,
           "student_months": student_months, "agent_steps": student_months + fixed * months,
           "bookkeeping_s": spent["bookkeeping"], "gc_s": collecting["s"],
           "created": spent["created"],
           # (student objects removed: none were made in the batch mode)
           "removed": max(0, spent["created"] - int(n[State.ENROLLED] + n[State.SEARCHING]))}
    model.release()
    return out

def boltzmann(n, months):
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    model = BoltzmannWealth(n=n, width=100, height=100, seed=1)
    for _ in range(months):
        model.step()
    return {"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0,
            "agent_steps": n * months}

def floor(created, removed, side=50):
    # Mesa's own cost for the same agents: create and place them on a grid of city cells,
    # then remove as many, in a bare Mesa model (collector paused, as the model does).
    import mesa
    from mesa.discrete_space import CellAgent, OrthogonalMooreGrid
    from sim.model.city import CityCell
    model = mesa.Model(seed=1)
    grid = OrthogonalMooreGrid((side, side), torus=False, random=model.random, cell_klass=CityCell)
    cells = list(grid.all_cells)
    gc.disable()
    t0 = time.perf_counter()
    agents = []
    for i in range(created):
        agent = CellAgent(model)
        agent.cell = cells[i % len(cells)]
        agents.append(agent)
    for agent in agents[:removed]:
        agent.remove()
    return {"wall_s": time.perf_counter() - t0}

def fastest(runs, repeats):
    # Alternate the cases, keep each one's fastest (in CPU seconds) repeat.
    best = {}
    for _ in range(repeats):
        for name, fn in runs:
            r = fn()
            if name not in best or r["cpu_s"] < best[name]["cpu_s"]:
                best[name] = r
    return best

def shared(scenarios, seed=1):
    # The scenarios of one seed: each run from scratch, then one spin-up continued per scenario.
    from sim import load_params
    from sim.experiments.executors import Job
    from sim.experiments.runner import run_one
    from sim.experiments.shared_spinup import JobGroup, execute_group
    jobs = [Job(load_params(path), seed=seed, scenario=str(i)) for i, path in enumerate(scenarios)]
    out = {}
    c = time.process_time()
    for job in jobs:
        run_one(job.params, job.seed, job.scenario, monthly=False)
    out["scratch_cpu_s"] = time.process_time() - c
    c = time.process_time()
    execute_group(JobGroup(tuple(jobs)))
    out["shared_cpu_s"] = time.process_time() - c
    return out

if kind == "shared":
    out = {"scratch_cpu_s": 1e9, "shared_cpu_s": 1e9}
    for _ in range(arg["repeats"]):
        r = shared(arg["scenarios"])
        out = {k: min(out[k], r[k]) for k in out}
elif kind == "side_by_side":
    scale = arg.get("scale", 1.0)
    size = skills(scale, False)  # sizes the Boltzmann run: as many agents, as many months
    n = round(size["agent_steps"] / size["months"])
    out = fastest([("objects", lambda: skills(scale, True)), ("batch", lambda: skills(scale, False)),
                   ("boltzmann", lambda: boltzmann(n, size["months"]))], arg["repeats"])
elif kind == "skills":
    out = skills(arg["scale"], arg["objects"])
else:
    out = floor(arg["created"], arg["removed"], arg.get("side", 50))
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

PARALLEL = r"""
import json, sys, time
sys.path.insert(0, "benchmarks")  # the workers import timed_execute from here
from bench_performance import timed_execute
from sim import load_params
from sim.experiments.executors import Job, LocalExecutor
arg = json.loads(sys.argv[1])
params = load_params(overrides={"run.persons_per_agent": arg["ppa"], "run.years": arg["years"]})
jobs = [Job(params, seed=s, replicate=s) for s in range(arg["runs"])]
tiny = load_params(overrides={"run.persons_per_agent": 50, "run.years": 1, "run.spinup_years": 0})
with LocalExecutor(arg["workers"]) as ex:
    # Start the workers first (a tiny run each): the pool's start-up is paid once per command,
    # not per run, and is reported apart.
    t = time.perf_counter()
    list(ex.map([Job(tiny, seed=s) for s in range(arg["workers"])], timed_execute))
    start = time.perf_counter() - t
    t = time.perf_counter()
    cpu = [r[1] for _, r in ex.map(jobs, timed_execute)]
print(json.dumps({"runs": len(cpu), "seconds": time.perf_counter() - t, "start_s": start,
                  "cpu_per_run": sum(cpu) / len(cpu)}))
"""


def timed_execute(job):
    """A worker's run and the CPU seconds it took (two workers contending for memory show up
    as dearer runs even when the neighbours make wall time meaningless)."""
    from sim.experiments.executors.base import execute

    c = time.process_time()
    result = execute(job)
    return result, time.process_time() - c


def run_case(kind: str, arg: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CASE, kind, json.dumps(arg)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_parallel(arg: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", PARALLEL, json.dumps(arg)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def tree_memory(root: int) -> tuple[float, float, list[float]]:
    """Resident memory (RSS summed, PSS summed) in MB of process ``root`` and its descendants,
    and each one's RSS."""
    children: dict[int, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(pid))
        except OSError:
            pass
    todo, rss, pss, each = [root], 0.0, 0.0, []
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "Rss":
                    kb = int(value.split()[0]) / 1024
                    rss += kb
                    each.append(kb)
                elif key == "Pss":
                    pss += int(value.split()[0]) / 1024
        except OSError:
            pass
    return rss, pss, sorted(each, reverse=True)


def run_forecast(workers: int, extra: tuple[str, ...] = ()) -> dict:
    """The default forecast (50 replicates; ``extra`` options only to try the script out), its
    wall time and its process tree's peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "sim", "forecast", "--workers", str(workers),
                                 "--out", str(Path(tmp) / "fc"), *extra], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak_rss = peak_pss = 0.0
        at_peak: list[float] = []
        while proc.poll() is None:
            rss, pss, each = tree_memory(proc.pid)
            if rss > peak_rss:
                peak_rss, at_peak = rss, each
            peak_pss = max(peak_pss, pss)
            time.sleep(0.25)
        if proc.returncode:
            raise RuntimeError(f"skills-sim forecast exited {proc.returncode}")
        meta = json.loads((Path(tmp) / "fc" / "manifest.json").read_text())
        return {"seconds": time.perf_counter() - t, "rss": peak_rss, "pss": peak_pss,
                "at_peak": at_peak, "load_before": load, "load_after": os.getloadavg()[0],
                "student_agents": meta["student_agents"],
                "simulation_s": meta["simulation_seconds"], "output_s": meta["output_seconds"]}


def report_throughput(add, repeats: int, scale: float) -> None:
    best = {k: v for k, v in run_case("side_by_side", {"repeats": repeats, "scale": scale}).items()
            if isinstance(v, dict)}
    obj, bat = best["objects"], best["batch"]
    add("throughput", "mean agents alive (students in the system, schools, enterprises)",
        round(bat["agent_steps"] / bat["months"]))
    for clock in ("wall", "cpu"):
        rate = {k: r["agent_steps"] / r[f"{clock}_s"] for k, r in best.items()}
        for name in ("objects", "batch", "boltzmann"):
            add("throughput", f"{name}: one run (build + months), {clock} s", round(best[name][f"{clock}_s"], 2))
        for name in ("objects", "batch"):
            add("throughput", f"{name}: student-months per {clock} second",
                round(best[name]["student_months"] / best[name][f"{clock}_s"]))
            add("throughput", f"{name}: agent-steps / Boltzmann's ({clock})",
                round(rate[name] / rate["boltzmann"], 2))
        add("throughput", f"batch / objects speed ({clock})", round(rate["batch"] / rate["objects"], 2))
    for name, r in (("objects", obj), ("batch", bat)):
        logic = r["wall_s"] - r["bookkeeping_s"] - r["gc_s"]
        add("split", f"{name}: Mesa student bookkeeping / collector / logic, s",
            f"{r['bookkeeping_s']:.2f} / {r['gc_s']:.2f} / {logic:.2f}")
        add("split", f"{name}: model construction, s", round(r["build_s"], 2))
    fl = run_case("floor", {"created": obj["created"], "removed": obj["removed"]})
    add("floor", f"Mesa alone: create {obj['created']} and remove {obj['removed']} agents, s",
        round(fl["wall_s"], 2))


def report_scaling(add, scales: list[float]) -> None:
    per = {}
    for f in scales:
        r = run_case("skills", {"scale": f, "objects": False})
        per[f] = r["cpu_s"] / r["student_months"] * 1e6
        add("scaling", f"{f:g}x city (batch): student-months", r["student_months"])
        add("scaling", f"{f:g}x city (batch): CPU microseconds per student-month", round(per[f], 3))
        add("scaling", f"{f:g}x city (batch): peak RSS MB", round(r["peak_rss_mb"]))
    for f in scales:
        if f != 1.0:
            add("scaling", f"cost per student-month, {f:g}x / 1x city", round(per[f] / per[1.0], 2))


def report_shared(add, repeats: int) -> None:
    """A forecast's runs of one seed: every shipped scenario from scratch against one spin-up
    continued per scenario (what forecast and sweep do), CPU seconds in one process."""
    names = ["plan", "status_quo"], ["plan", "status_quo", "more_funding", "no_platform",
                                     "strong_retention"]
    for chosen in names:
        paths = [str(ROOT / "params" / "scenarios" / f"{n}.toml") for n in chosen]
        r = run_case("shared", {"scenarios": paths, "repeats": repeats})
        k = len(chosen)
        add("shared", f"{k} scenarios of one seed: CPU s per run, from scratch / shared spin-up",
            f"{r['scratch_cpu_s'] / k:.2f} / {r['shared_cpu_s'] / k:.2f}")
        add("shared", f"{k} scenarios of one seed: speed-up of the shared spin-up",
            round(r["scratch_cpu_s"] / r["shared_cpu_s"], 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the 2x and 4x cities")
    ap.add_argument("--no-forecast", action="store_true", help="skip the default forecast")
    ap.add_argument("--csv", default=str(ROOT / "benchmarks/out/performance.csv"))
    ap.add_argument("--repeats", type=int, default=2, help="runs per case; the fastest counts")
    ap.add_argument("--scale", type=float, default=1.0, help="city size of the throughput case "
                    "(1 = full scale; smaller only to try the script out)")
    args = ap.parse_args()
    rows: list[tuple[str, str, float | str]] = []

    def add(section, name, value):
        rows.append((section, name, value))
        print(f"{section:<11} {name:<66} {value}", flush=True)

    add("machine", "load average (1 min) at start", round(os.getloadavg()[0], 2))
    report_throughput(add, args.repeats, args.scale)
    report_scaling(add, [0.25, 1.0] if args.quick else [0.25, 1.0, 4.0])
    report_shared(add, args.repeats)

    spec = {"ppa": 1, "years": 6, "runs": 6}
    one = two = None
    for _ in range(args.repeats):  # alternate; the faster of each counts
        a, b = run_parallel({**spec, "workers": 1}), run_parallel({**spec, "workers": 2})
        one = a if one is None or a["seconds"] < one["seconds"] else one
        two = b if two is None or b["seconds"] < two["seconds"] else two
    add("parallel", "full-scale runs per minute, 1 worker", round(60 * one["runs"] / one["seconds"], 1))
    add("parallel", "full-scale runs per minute, 2 workers", round(60 * two["runs"] / two["seconds"], 1))
    add("parallel", "speed-up 2 workers / 1 (workers started)", round(one["seconds"] / two["seconds"], 2))
    add("parallel", "starting the 2 workers (once per command), s", round(two["start_s"], 2))
    add("parallel", "speed-up 2 workers / 1, start-up included",
        round((one["seconds"] + one["start_s"]) / (two["seconds"] + two["start_s"]), 2))
    add("parallel", "CPU s per run, 1 worker / 2 workers",
        f"{one['cpu_per_run']:.2f} / {two['cpu_per_run']:.2f}")

    if not args.no_forecast:
        fc = run_forecast(workers=2)
        add("forecast", "default forecast (50 replicates, 2 workers): wall s", round(fc["seconds"], 1))
        add("forecast", "  of which simulation / output step (manifest), s",
            f"{fc['simulation_s']} / {fc['output_s']}")
        add("forecast", "its runs built Student objects", fc["student_agents"])
        add("forecast", "peak resident memory, all processes: RSS summed, MB", round(fc["rss"]))
        add("forecast", "  the processes alive at that peak, RSS each, MB",
            " + ".join(str(round(mb)) for mb in fc["at_peak"]))
        add("forecast", "peak resident memory, all processes: PSS summed, MB", round(fc["pss"]))
        add("forecast", "load average (1 min) before / after", f"{fc['load_before']:.2f} / {fc['load_after']:.2f}")
    add("machine", "load average (1 min) at end", round(os.getloadavg()[0], 2))

    path = Path(args.csv)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["section", "measure", "value"])
        w.writerows(rows)
    print(f"wrote {path} ({time.strftime('%Y-%m-%d %H:%M')})")


if __name__ == "__main__":
    main()
