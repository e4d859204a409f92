"""Reads the CloudWatch embedded metric format (EMF) records a process wrote to stdout, and
checks each against the specification's rules as it goes:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

# The spec's Unit values: "Values SHOULD be valid CloudWatch metric units" (MetricDatum).
UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


@dataclass(frozen=True)
class Emf:
    namespace: str
    dimensions: dict[str, str]
    values: dict[str, float]
    units: dict[str, str]
    record: dict[str, Any]


def check(record: dict[str, Any]) -> list[Emf]:
    """The metrics of one EMF document; AssertionError naming the broken rule otherwise."""
    meta = record["_aws"]
    assert isinstance(meta, dict), "_aws MUST be an object"
    stamp = meta["Timestamp"]
    assert isinstance(stamp, int), "Timestamp: milliseconds since the epoch, a number"
    assert abs(stamp - time.time() * 1000) < 600_000, "Timestamp in ms, and about now"
    directives = meta["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    found = []
    for directive in directives:
        assert set(directive) == {"Namespace", "Dimensions", "Metrics"}, directive
        assert isinstance(directive["Namespace"], str) and 0 < len(directive["Namespace"]) <= 1024
        dimension_sets = directive["Dimensions"]
        assert isinstance(dimension_sets, list) and len(dimension_sets) >= 1
        keys: list[str] = []
        for dimension_set in dimension_sets:
            assert isinstance(dimension_set, list) and len(dimension_set) <= 30
            for key in dimension_set:
                value = record[key]  # a target member on the root node
                assert isinstance(value, str) and len(value) <= 1024, (key, value)
                keys.append(key)
        metrics = directive["Metrics"]
        assert isinstance(metrics, list) and 0 < len(metrics) <= 100
        values, units = {}, {}
        for metric in metrics:
            assert set(metric) <= {"Name", "Unit", "StorageResolution"}, metric
            value = record[metric["Name"]]
            assert isinstance(value, int | float) and not isinstance(value, bool), metric
            assert metric.get("Unit", "None") in UNITS, metric
            values[metric["Name"]] = value
            units[metric["Name"]] = metric.get("Unit", "None")
        dimensions = {k: record[k] for k in keys}
        found.append(Emf(directive["Namespace"], dimensions, values, units, record))
    return found


def emf_records(stdout: str) -> list[Emf]:
    """Every metric of every EMF line in `stdout` (other lines: plain logs, ignored)."""
    found = []
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)  # a log event MUST be one JSON object, nothing around it
        if "_aws" in record:
            found.extend(check(record))
    return found


def named(found: list[Emf], metric: str) -> list[Emf]:
    return [m for m in found if metric in m.values]
