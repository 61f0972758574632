"""The Python side of bench/read-scale.ts.

  python read_scale_anchor.py to-parquet <csv> <parquet>   write the CSV as Parquet (snappy, pyarrow defaults)
  python read_scale_anchor.py read <csv|parquet> <path>     time one read; prints JSON {ms, rows, peakRssMiB, ...}

The read is what a Python pipeline would do: pandas.read_csv (C engine; categorical columns as strings) or
pyarrow.parquet.read_table(...).to_pandas(), in a fresh process so that the peak RSS is this read's.
"""
import json
import resource
import sys
import time


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    command = sys.argv[1]
    if command == "to-parquet":
        table = pacsv.read_csv(sys.argv[2])
        pq.write_table(table, sys.argv[3], compression="snappy")
        return
    fmt, path = sys.argv[2], sys.argv[3]
    baseline = peak_rss_mib()
    started = time.perf_counter()
    if fmt == "csv":
        frame = pd.read_csv(path, dtype={"plan": str, "region": str, "device": str})
    else:
        frame = pq.read_table(path).to_pandas()
    ms = (time.perf_counter() - started) * 1000
    print(json.dumps({
        "ms": ms,
        "rows": len(frame),
        "peakRssMiB": peak_rss_mib(),
        "baselineRssMiB": baseline,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
    }))


if __name__ == "__main__":
    main()
