"""The local runs' `file://` filesystem (emr/localfs/NioLocalFileSystem.java, `make localfs`):
Hadoop's permissions, set without a `chmod` process per file and directory.

Runs in a fresh Python and JVM (the shared test session's JVM is already started), with a
`chmod` first on its PATH that logs each call: Hadoop's RawLocalFileSystem, without its
native library, runs `chmod` through the PATH (Shell.getSetPermissionCommand).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import kpi_job
import pytest

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import kpi_job

out, log = sys.argv[2], sys.argv[3]
def chmods():
    with open(log) as calls:
        return len(calls.readlines())

spark = kpi_job.build_session()  # as `python emr/kpi_job.py` runs locally
jvm = spark.sparkContext._jvm
conf = spark.sparkContext._jsc.hadoopConfiguration()
Path = jvm.org.apache.hadoop.fs.Path
result = {"filesystem": Path(out).getFileSystem(conf).getClass().getName()}

before = chmods()
frame = spark.createDataFrame([(1, "2026-11-01"), (2, "2026-11-02")], "n int, job_date string")
frame.coalesce(1).write.mode("overwrite").partitionBy("job_date").parquet(out + "/written")
result["chmods_by_the_write"] = chmods() - before

sticky = Path(out + "/sticky")
filesystem = sticky.getFileSystem(conf)
filesystem.mkdirs(sticky)
before = chmods()
filesystem.setPermission(sticky, jvm.org.apache.hadoop.fs.permission.FsPermission("1777"))
result["chmods_for_a_sticky_bit"] = chmods() - before

raw = jvm.org.apache.hadoop.fs.RawLocalFileSystem()  # Hadoop's own, in the same JVM
raw.initialize(jvm.java.net.URI("file:///"), conf)
before = chmods()
raw.create(Path(out + "/hadoop/file.bin")).close()
result["chmods_by_hadoops_filesystem"] = chmods() - before
spark.stop()
print("RESULT " + json.dumps(result))
"""


@pytest.fixture
def chmod_log(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A logging `chmod` first on the PATH; returns its log and the environment."""
    real = shutil.which("chmod")
    assert real is not None
    bin_dir, log = tmp_path / "bin", tmp_path / "chmod.log"
    bin_dir.mkdir()
    log.touch()
    probe = bin_dir / "chmod"
    probe.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n')
    probe.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYSPARK_GATEWAY_PORT", None)  # a fresh JVM, as a plain `python kpi_job.py`
    return log, env


def test_local_runs_write_parquet_without_a_chmod_process_and_with_hadoops_permissions(
    chmod_log: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    if not kpi_job.LOCAL_FS_JAR.is_file():
        pytest.fail(f"{kpi_job.LOCAL_FS_JAR} is missing: `make localfs` (make test builds it)")
    log, env = chmod_log
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "emr"), out.as_uri(), str(log)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))

    assert result["filesystem"] == kpi_job.LOCAL_FS_CLASS
    assert result["chmods_by_the_write"] == 0
    # the probe sees Hadoop's own filesystem spawn chmod (for the folder it makes, then the
    # file), so the zero above means something
    assert result["chmods_by_hadoops_filesystem"] == 2
    # a sticky bit (NIO cannot set one) still goes through Hadoop's chmod
    assert result["chmods_for_a_sticky_bit"] == 1
    assert stat.S_IMODE((out / "sticky").stat().st_mode) == 0o1777

    # the permissions Hadoop gives (fs.permissions.umask-mode 022): files 644, directories 755
    written = out / "written"
    files = [p for p in written.rglob("*") if p.is_file()]
    folders = [written, *(p for p in written.rglob("*") if p.is_dir())]
    assert {p.name.split("-")[0] for p in files} >= {"part", "_SUCCESS"}
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o755}
    assert {p.name for p in written.glob("job_date=*")} == {
        "job_date=2026-11-01",
        "job_date=2026-11-02",
    }


def test_without_the_jar_local_runs_keep_hadoops_filesystem(tmp_path: Path) -> None:
    """No `make localfs`: nothing is configured, so `file://` stays Hadoop's own (a class path
    entry to a missing jar with `fs.file.impl` naming its class would fail every write)."""
    assert kpi_job.local_filesystem_conf(tmp_path / "missing.jar") == {}
    jar = tmp_path / "present.jar"
    jar.write_bytes(b"PK")
    assert kpi_job.local_filesystem_conf(jar) == {
        "spark.driver.extraClassPath": str(jar),
        "spark.hadoop.fs.file.impl": kpi_job.LOCAL_FS_CLASS,
    }
