"""How params/example_city/ was made: a drawn city with eight counties and 30 schools (seed
2026), given fictional names and reshaped the way a bureau's own files look: whole seats, no
population map (cells.csv), reputation not on record for some schools, the 40 largest firms by
name and the others as counts per county and industry code (sector_map.csv).

    python3 docs/example_city.py params/example_city
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim import load_params
from sim.model.city_export import fixed_tables

out = Path(sys.argv[1] if len(sys.argv) > 1 else "params/example_city")
out.mkdir(parents=True, exist_ok=True)
p = load_params(overrides={"city.n_counties": 8, "schools.n_secondary": 22, "schools.n_technician": 5,
                           "schools.n_higher": 3, "city.county_ring_cells": 18.0})
t = fixed_tables(p, 2026)
names = {"urban core": "Central District"}
counties = ["Riverside County", "Hillcrest County", "Lakeview County", "Pinewood County",
            "Stonebridge County", "Meadowfield County", "Eastport County", "Westvale County"]
names.update({f"county {k+1}": n for k, n in enumerate(counties)})

d = t["districts"].copy()
d["district"] = d["district"].map(names)
d["x"] = d["x"].round(1); d["y"] = d["y"].round(1)
d = d.drop(columns=["sigma_cells"])
d.to_csv(out / "districts.csv", index=False)

parks = t["parks"].copy()
parks["district"] = parks["district"].map(names)
park_names = ["High-Tech Park", "Equipment Park", "Logistics Park", "Chemical Park"]
parks["park"] = park_names + [f"{n.split()[0]} Industrial Park" for n in parks["district"][4:]]
parks["x"] = parks["x"].round(1); parks["y"] = parks["y"].round(1)
parks.to_csv(out / "parks.csv", index=False)

s = t["schools"].copy()
s["district"] = s["district"].map(names)
kind_label = {"secondary": "Secondary Vocational School", "technician": "Technician School",
              "higher": "Vocational and Technical College"}
seen = {}
def school_name(row):
    key = row["school"]
    if key not in seen:
        town = row["district"].split()[0]
        k = sum(1 for v in seen.values() if v.startswith(town) and kind_label[row["kind"]] in v) + 1
        seen[key] = f"{town} {kind_label[row['kind']]}" + (f" No. {k}" if k > 1 else "")
    return seen[key]
s["school"] = s.apply(school_name, axis=1)
s["seats"] = s["seats"].astype(float).round().astype(int)
s = s[s["seats"] > 0]
s["reputation"] = s["reputation"].astype(float).round(2)
rng = np.random.default_rng(7)
unknown = rng.random(s["school"].nunique()) < 0.3   # reputation not on record for some schools
blank = s["school"].isin(np.array(s["school"].unique())[unknown])
s["reputation"] = s["reputation"].astype(object)
s.loc[blank, "reputation"] = ""
s = s.drop(columns=["capacity"])
s.to_csv(out / "schools.csv", index=False)

codes = {"equipment": "C34", "new_materials": "C30", "electronics": "C39", "chemicals": "C26",
         "food": "C13", "biomedicine": "C27", "new_energy_vehicles": "C36", "new_energy": "C38",
         "digital": "I65", "light_industry": "C18", "construction": "E47", "services": "L72"}
pd.DataFrame({"code": list(codes.values()), "sector": list(codes)}).to_csv(out / "sector_map.csv", index=False)

e = t["enterprises"].copy()
e["district"] = e["district"].map(names)
e["sector"] = e["sector"].map(codes)
e["employees"] = e["employees"].round().astype(int)
big = e.sort_values("employees", ascending=False).head(40).copy()
big["enterprise"] = [f"Example Firm {k+1:02d}" for k in range(len(big))]
big = big[["enterprise", "sector", "employees", "district", "x", "y", "leading"]]
big["count"] = 1
small = e.drop(big.index)
small = (small.groupby(["district", "sector"]).agg(count=("employees", "size"),
                                                  employees=("employees", "median")).reset_index())
small["employees"] = small["employees"].round().astype(int)
small["enterprise"] = ""
small["leading"] = "false"
rows = pd.concat([big, small], ignore_index=True)[["enterprise", "sector", "employees", "count",
                                                    "district", "x", "y", "leading"]]
rows["x"] = rows["x"].astype("Int64"); rows["y"] = rows["y"].astype("Int64")
rows.to_csv(out / "enterprises.csv", index=False)
print(f"wrote {out}: {len(d)} districts, {s['school'].nunique()} schools, "
      f"{len(rows)} enterprise rows ({int(rows['count'].sum())} firms)")
