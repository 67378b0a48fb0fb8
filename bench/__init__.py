"""Latency and throughput benchmark of Tradewind, standalone and distributed.

`python -m bench [--mode standalone|distributed|both] [--quick]` starts Tradewind as real
processes on free ports, drives it through the REST API only, prints a table and writes
`bench/results/latest.json`. See `bench.__main__` for the measurements.
"""
