"""Nothing phones home: importing OpenVINO and converting a model through surveil forks no reporting process."""

import subprocess
import sys

import pytest

CHILD = """
import multiprocessing, sys
started = []
original = multiprocessing.Process.start
multiprocessing.Process.start = lambda self: started.append(self) or original(self)
import surveil
import openvino as ov
import torch
ov.convert_model(torch.nn.Linear(4, 2), example_input=torch.zeros(1, 4))
print("processes", len(started))
"""


def test_openvino_sends_no_telemetry_from_a_surveil_process():
    pytest.importorskip("openvino")
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "processes 0" in out.stdout, "OpenVINO's telemetry forked a process to report usage"

