"""The job's two outputs: Postgres (upsert, one transaction) and Parquet (window partitions).

Four datasets: `daily` and `models` (deployment-wide), `schools` and `classes` (issue 16).

Postgres is written over JDBC from the driver, with the same jar Spark reads with, so the job
needs no Python database driver on EMR. The rows are one per day (and per day and model):
a few hundred at most, never a reason for a distributed write.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from videogen.kpis import definitions as kpi
from videogen.kpis.jdbc import JdbcTarget

logger = logging.getLogger("videogen.kpis.job")

DATASETS = ("daily", "models", "schools", "classes")


@dataclass(frozen=True)
class Target:
    """Where a dataset goes: its table, the key of a row, and its Parquet partition columns."""

    table: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    partitions: tuple[str, ...]


TARGETS = {
    "daily": Target("kpi_spark_daily", ("job_date",), kpi.DAILY_COLUMNS, ("job_date",)),
    "models": Target(
        "kpi_spark_daily_models", ("job_date", "model"), kpi.MODEL_COLUMNS, ("job_date",)
    ),
    "schools": Target(
        "kpi_school_daily",
        ("school_id", "job_date"),
        kpi.SCOPE_COLUMNS,
        ("job_date", "school_id"),
    ),
    "classes": Target(
        "kpi_class_daily",
        ("class_id", "job_date"),
        ("school_id", *kpi.SCOPE_COLUMNS),
        ("job_date", "school_id"),
    ),
}
#: Rows per upsert statement: a year's backfill of every class stays many small parameters,
#: not one JSON string of hundreds of megabytes through py4j.
UPSERT_BATCH = 20_000
#: A dataset as the driver holds it: its rows and their Spark schema (a StructType).
Rows = tuple[list[dict[str, Any]], Any]


def _upsert_sql(table: str, keys: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """One statement for all rows: they travel as one JSON array (a single JDBC parameter,
    so a year of days costs one round trip, not one py4j call per value)."""
    names = ", ".join((*keys, *columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    return (
        f"insert into public.{table} ({names}, updated_at) "
        f"select {names}, now() from json_populate_recordset(null::public.{table}, ?::json) "
        f"on conflict ({', '.join(keys)}) do update set {updates}, updated_at = now()"
    )


def _json_rows(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    def value(v: Any) -> Any:
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        return v

    return json.dumps([{c: value(r[c]) for c in columns} for r in rows])


def _connect(spark: Any, target: JdbcTarget) -> Any:
    """A JDBC connection opened through the driver class itself (not DriverManager, which
    cannot see jars Spark added at run time)."""
    jvm = spark.sparkContext._jvm
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    driver = jvm.java.lang.Class.forName("org.postgresql.Driver", True, loader)
    props = jvm.java.util.Properties()
    for key, value in target.properties().items():  # user, password, TLS trust
        props.setProperty(key, value)
    gateway = spark.sparkContext._gateway
    no_types = gateway.new_array(jvm.java.lang.Class, 0)
    no_args = gateway.new_array(jvm.java.lang.Object, 0)
    instance = driver.getDeclaredConstructor(no_types).newInstance(no_args)
    connection = instance.connect(target.url, props)
    if connection is None:
        raise RuntimeError("the Postgres JDBC driver refused the URL")
    return connection


def _execute(connection: Any, sql: str, *parameters: str) -> None:
    statement = connection.prepareStatement(sql)
    try:
        for index, value in enumerate(parameters, start=1):
            statement.setString(index, value)
        statement.executeUpdate()
    finally:
        statement.close()


def write_postgres(
    spark: Any,
    target: JdbcTarget,
    start: date,
    end: date,
    datasets: dict[str, list[dict[str, Any]]],
) -> None:
    """Upserts the window's rows of every dataset in one transaction; rows of the window that
    this run did not produce (a model, school or class with no jobs any more) are deleted in
    the same transaction. `kpi_spark_daily` has a row for every day, so nothing to delete."""
    connection = _connect(spark, target)
    try:
        connection.setAutoCommit(False)
        for name in (n for n in DATASETS if n in datasets):
            where = TARGETS[name]
            sql = _upsert_sql(where.table, where.keys, where.columns)
            columns = tuple(dict.fromkeys((*where.keys, *where.columns)))
            rows: Sequence[dict[str, Any]] = datasets[name]
            for first in range(0, len(rows), UPSERT_BATCH):
                _execute(
                    connection, sql, _json_rows(list(rows[first : first + UPSERT_BATCH]), columns)
                )
            if name == "daily":
                continue
            # now() is the transaction's start: every row this run wrote carries it.
            _execute(
                connection,
                f"delete from public.{where.table} "
                "where job_date between ?::date and ?::date and updated_at <> now()",
                start.isoformat(),
                end.isoformat(),
            )
        connection.commit()
    except Exception:
        connection.rollback()
        raise
    finally:
        connection.close()


# --- Parquet ---


def _has_filesystem(spark: Any, scheme: str) -> bool:
    """Whether this Spark's Hadoop can write `scheme://` (EMR: s3 yes; pip pyspark: no)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    try:
        jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(scheme, conf)
    except Exception:  # Py4JJavaError wrapping UnsupportedFileSystemException
        return False
    return True


def _skip_checksum_sidecars(spark: Any, root: str) -> None:
    """On a checksummed filesystem (file://) stops writing `.crc` sidecar files: Parquet
    checksums its own pages, and without Hadoop's native library every file created on the
    local filesystem costs a `chmod` subprocess, so a sidecar per partition file was a third
    of a full-history write. S3 has no sidecars; nothing changes there."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    filesystem = jvm.org.apache.hadoop.fs.Path(root).getFileSystem(conf)
    if filesystem.getScheme() == "file":
        filesystem.setWriteChecksum(False)


def _write_dataset(
    spark: Any, rows: Rows, path: str, days: list[date], partitions: tuple[str, ...]
) -> None:
    """One dataset in one Spark write and one task: one file per partition (`job_date=`, or
    `job_date=/school_id=`). Dynamic partition overwrite replaces only the partitions written;
    a window partition with no rows any more (a model's day, a school's day) is deleted."""
    records, schema = rows
    frame = spark.createDataFrame(records, schema).coalesce(1)
    frame.write.mode("overwrite").partitionBy(*partitions).parquet(path)
    present = {tuple(str(row[p]) for p in partitions) for row in records}
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    for day in days:
        folder = jvm.org.apache.hadoop.fs.Path(f"{path}/job_date={day.isoformat()}")
        filesystem = folder.getFileSystem(conf)
        if not any(key[0] == day.isoformat() for key in present):
            filesystem.delete(folder, True)
            continue
        if len(partitions) == 1 or not filesystem.exists(folder):
            continue
        for child in filesystem.listStatus(folder):
            name = str(child.getPath().getName())
            label, _, value = name.partition("=")
            if label == partitions[1] and (day.isoformat(), value) not in present:
                filesystem.delete(child.getPath(), True)


def _spark_write(spark: Any, datasets: dict[str, Rows], root: str, days: list[date]) -> None:
    """Writes the datasets side by side, one thread (so one concurrent Spark job) each: a
    write's time is per file, not per row, and one task per dataset leaves the other
    cores idle."""
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    _skip_checksum_sidecars(spark, root)
    with ThreadPoolExecutor(max_workers=len(datasets)) as pool:
        writes = [
            pool.submit(
                _write_dataset,
                spark,
                rows,
                f"{root.rstrip('/')}/{name}",
                days,
                TARGETS[name].partitions,
            )
            for name, rows in datasets.items()
        ]
        for write in writes:
            write.result()  # re-raises a failed write


def _upload(
    staged: Path, url: str, names: list[str], days: list[date], endpoint_url: str | None
) -> int:
    """Replaces the window's partitions of the `names` datasets under an S3 URL with the
    staged files (boto3)."""
    import boto3

    parts = urlsplit(url)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    client = boto3.client("s3", endpoint_url=endpoint_url)
    uploaded = 0
    for name in names:
        for day in days:
            partition = f"job_date={day.isoformat()}"
            key_prefix = "/".join(p for p in (prefix, name, partition) if p) + "/"
            paginator = client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=key_prefix):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
            folder = staged / name / partition
            for file in sorted(folder.rglob("*.parquet")) if folder.is_dir() else []:
                relative = file.relative_to(folder).as_posix()  # school_id=…/part-….parquet
                client.upload_file(str(file), bucket, key_prefix + relative)
                uploaded += 1
    return uploaded


def write_parquet(
    spark: Any,
    datasets: dict[str, Rows],
    output_path: str,
    days: list[date],
    *,
    s3_endpoint_url: str | None = None,
) -> None:
    """Writes the DATASETS as Parquet (rows and Spark schema each), partitioned as TARGETS
    says: `daily/` and `models/` by `job_date`, `schools/` and `classes/` by `job_date` and
    `school_id`.

    `s3://` goes straight through Spark where Hadoop has an S3 filesystem (EMR). Elsewhere,
    and always for a custom endpoint (MinIO), Spark writes to a local folder and boto3
    uploads the window's partitions.
    """
    frames = {name: datasets[name] for name in DATASETS if name in datasets}
    scheme = urlsplit(output_path).scheme
    if scheme in ("s3", "s3a") and (s3_endpoint_url or not _has_filesystem(spark, scheme)):
        staged = Path(tempfile.mkdtemp(prefix="kpis-parquet-"))
        try:
            _spark_write(spark, frames, staged.as_uri(), days)
            uploaded = _upload(staged, output_path, list(frames), days, s3_endpoint_url)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        logger.info("parquet uploaded", extra={"files": uploaded, "endpoint": s3_endpoint_url})
        return
    if not scheme:
        output_path = Path(output_path).resolve().as_uri()
    _spark_write(spark, frames, output_path, days)
