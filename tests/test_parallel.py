"""Serial and distributed runs give the same bytes (a real 2-worker Dask LocalCluster)."""
import json

import numpy as np
import pytest

from symrg._parallel import executor
from symrg.cli import main
from symrg.errors import ParameterError


def _square_plus_noise(offset, seed_seq):
    return float(offset + np.random.default_rng(seed_seq).standard_normal())


@pytest.fixture(scope="module")
def cluster():
    with executor(workers=2, announce=None) as ex:
        yield ex


def test_executor_matches_serial(cluster):
    seeds = np.random.SeedSequence(5).spawn(6)
    with executor() as serial:
        a = serial.map(_square_plus_noise, seeds, 1.0)
    b = cluster.map(_square_plus_noise, seeds, 1.0)
    assert a == b and cluster.distributed and cluster.dashboard


def _cli_json(argv) -> str:
    """``symrg ARGV`` in a fresh process with the BLAS threads a user's process has (the test session
    limits BLAS to one thread, which would hide a difference between serial tasks and the workers'
    single-threaded ones); its standard output."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    r = subprocess.run([sys.executable, "-m", "symrg", *argv], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.mark.slow
def test_learning_curves_identical_serial_and_distributed():
    """The contract: ``--workers 2`` prints the same JSON as the serial run (sphere and data forms), each
    run a fresh process as a user runs it.  (Before every task ran with one BLAS thread, the MNIST curve
    differed in the last digit of simulation_sem and pool_mse.)"""
    sphere = ["learning-curve", "--dim", "4", "--ridge", "0.01", "--ns", "8,16", "--target", "1:1",
              "--trials", "4", "--seed", "3", "--json", "--quiet"]
    data = ["learning-curve", "--data", "mnist", "--ridge", "1e-2", "--pool", "2000", "--ns", "50,100",
            "--trials", "4", "--seed", "0", "--depth", "2", "--json", "--quiet"]
    for argv in (sphere, data):
        serial = _cli_json(argv)
        assert serial == _cli_json(argv + ["--workers", "2"]), argv[:3]
    assert json.loads(serial)[0]["n"] == 50


def test_bad_scheduler_is_a_clear_error():
    with pytest.raises(ParameterError, match="scheduler"):
        with executor(scheduler="tcp://127.0.0.1:9", timeout=2, announce=None):
            pass


def test_missing_dask_names_the_extra(without_dask):
    with pytest.raises(ParameterError, match="distributed"):
        with executor(workers=2, announce=None):
            pass


def test_reproduce_sections_on_the_cluster(cluster, tmp_path):
    from symrg.studies.report import reproduce

    a = reproduce(tmp_path / "serial", quick=True, show_progress=False, only=["flows"])
    b = reproduce(tmp_path / "dask", quick=True, show_progress=False, only=["flows"], executor=cluster)
    assert a["claims"] == b["claims"] and a["claims"]
    assert (tmp_path / "dask" / "flows.png").read_bytes() == (tmp_path / "serial" / "flows.png").read_bytes()


def test_data_spectrum_identical_serial_and_distributed(capsys):
    """``symrg spectrum --data --workers 2`` runs the solve as one task on a worker: same numbers."""
    outs = []
    for extra in ([], ["--workers", "2"]):
        assert main(["spectrum", "--data", "digits", "--pool", "300", "--kappa", "20", "--seed", "2", "--json",
                     "--quiet"] + extra) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0].pop("executor") == "serial" and outs[1].pop("executor").startswith("dask")
    assert outs[0]["trace"] == outs[1]["trace"]
    np.testing.assert_allclose(outs[0]["eigenvalues"], outs[1]["eigenvalues"], rtol=1e-12, atol=0)
