"""Time a full-scale baseline run beside Mesa's Boltzmann wealth example.

    python3 benchmarks/bench_run.py [--repeat N] [--csv benchmarks/out/bench_run.csv]

Prints one table: model construction time, simulation time, Mesa agent-steps per second
(agents alive x months), and the ratio to the Boltzmann example run with the same number of
agents in the same process, one after the other (the machine is shared: only ratios measured
side by side mean anything). Each case runs in a fresh subprocess so peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

CASE = r"""
import json, resource, sys, time
kind, arg = sys.argv[1], json.loads(sys.argv[2])
if kind == "skills":
    from sim import SkillsModel
    from sim.agents import Student
    t0 = time.perf_counter()
    model = SkillsModel(seed=arg["seed"], **arg.get("overrides", {}))
    t1 = time.perf_counter()
    agent_steps = 0
    while model.running:
        model.step()
        agent_steps += len(model.agents)
    t2 = time.perf_counter()
    months = len(model.dates)
else:
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth
    t0 = time.perf_counter()
    model = BoltzmannWealth(n=arg["n"], width=100, height=100, seed=1)
    t1 = time.perf_counter()
    for _ in range(arg["months"]):
        model.step()
    t2 = time.perf_counter()
    months = arg["months"]
    agent_steps = arg["n"] * months
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"build_s": t1 - t0, "run_s": t2 - t1, "agent_steps": agent_steps,
                  "months": months, "agents_end": len(model.agents), "peak_rss_mb": rss_mb}))
"""


def run_case(kind: str, arg: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CASE, kind, json.dumps(arg)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--csv", default="benchmarks/out/bench_run.csv")
    args = ap.parse_args()
    rows = []
    for rep in range(args.repeat):
        skills = run_case("skills", {"seed": 1 + rep})
        total = skills["build_s"] + skills["run_s"]
        mean_agents = skills["agent_steps"] / skills["months"]
        # Boltzmann with as many agents as the city has on average, for as many months.
        boltz = run_case("boltzmann", {"n": int(mean_agents), "months": 12})
        boltz_rate = boltz["agent_steps"] / (boltz["build_s"] + boltz["run_s"])
        skills_rate = skills["agent_steps"] / total
        rows.append({
            "repeat": rep,
            "skills_build_s": round(skills["build_s"], 2),
            "skills_run_s": round(skills["run_s"], 2),
            "skills_agent_steps": skills["agent_steps"],
            "skills_agent_steps_per_s": round(skills_rate),
            "skills_peak_rss_mb": round(skills["peak_rss_mb"]),
            "boltzmann_agents": int(mean_agents),
            "boltzmann_agent_steps_per_s": round(boltz_rate),
            "ratio_vs_boltzmann": round(skills_rate / boltz_rate, 2),
            "build_share": round(skills["build_s"] / total, 3),
        })
    width = max(len(k) for k in rows[0])
    for key in rows[0]:
        print(f"{key:<{width}}  " + "  ".join(str(r[key]) for r in rows))
    path = Path(args.csv)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
