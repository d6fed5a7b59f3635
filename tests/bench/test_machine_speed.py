"""bench/run.py's gauge of the machine's speed: a fixed piece of Python, timed while the runs go on."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from measure import MachineSpeed  # noqa: E402


def test_a_run_gets_the_median_of_the_samples_taken_during_it_and_none_of_the_others():
    speed = MachineSpeed()
    speed.samples = [(10.0, 8.0), (10.5, 16.0), (11.0, 9.0), (11.5, 30.0), (12.0, 50.0)]

    assert speed.median_between(10.2, 11.6) == 16.0
    assert speed.median_between(12.5, 13.0) is None


def test_it_times_the_reference_work_in_cpu_every_half_second_until_stopped():
    with MachineSpeed() as speed:
        time.sleep(3 * MachineSpeed.INTERVAL_SECONDS + 0.2)
    taken = len(speed.samples)
    time.sleep(MachineSpeed.INTERVAL_SECONDS + 0.2)

    assert len(speed.samples) == taken >= 2
    assert all(ms > 0 for _, ms in speed.samples)
    assert [at for at, _ in speed.samples] == sorted(at for at, _ in speed.samples)
