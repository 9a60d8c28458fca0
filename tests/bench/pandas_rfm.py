"""The plain pandas script the workspace is compared with (`deno task bench --scale N`).

Reads the CSV files named by a JSON spec (argv[1]: {"files": [{"glob", "columns",
"timestampFormat"}], "out": path}), applies the plain cleaning rules (missing customer,
cancellations "C…", adjustments "A…", quantity <= 0, price <= 0, exact duplicate lines), and
builds the RFM customer table (recency, frequency = distinct invoices, monetary, tenure, average
order value, quintile scores), written as CSV to "out". Prints one JSON line of counts.
"""
import glob
import json
import sys

import pandas as pd

spec = json.load(open(sys.argv[1]))
frames = []
for f in spec["files"]:
    cols = f["columns"]
    for path in sorted(glob.glob(f["glob"])):
        df = pd.read_csv(
            path,
            usecols=list(cols.values()),
            dtype={cols["invoice"]: str, cols["stock_code"]: str},
        )
        df = df.rename(columns={v: k for k, v in cols.items()})
        df["timestamp"] = pd.to_datetime(df["timestamp"], format=f["timestampFormat"])
        frames.append(df)
df = pd.concat(frames, ignore_index=True)
del frames
rows_in = len(df)
df = df[df["customer_id"].notna()]
inv = df["invoice"]
df = df[~inv.str.startswith("C") & ~inv.str.startswith("A")]
df = df[(df["quantity"] > 0) & (df["unit_price"] > 0)]
df = df.drop_duplicates()
df["value"] = df["quantity"] * df["unit_price"]
analysis = df["timestamp"].max().normalize() + pd.Timedelta(days=1)
g = df.groupby("customer_id").agg(
    first=("timestamp", "min"),
    last=("timestamp", "max"),
    frequency=("invoice", "nunique"),
    monetary=("value", "sum"),
    country=("country", "first"),
)
g["recency_days"] = (analysis - g["last"]).dt.days
g["tenure_days"] = (analysis - g["first"]).dt.days
g["avg_order_value"] = g["monetary"] / g["frequency"]
g["r_score"] = pd.qcut(g["recency_days"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
g["f_score"] = pd.qcut(g["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
g["m_score"] = pd.qcut(g["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
g.to_csv(spec["out"])
print(json.dumps({"rows_in": rows_in, "rows_kept": len(df), "customers": len(g)}))
