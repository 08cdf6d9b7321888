"""One module per workload; each is also a worker: ``python -m bench.workloads.NAME TOOL DATA RUNS``."""
