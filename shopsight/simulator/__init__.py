"""The marketplace simulator: writes a landing zone that follows the contract, plus its truth.

`simulate(out, start, days, scale, seed, faults=0.0, truth_path=None) -> dict` is the Python API
(tests and `shopsight demo` use it); `shopsight simulate` is the command (`command.py`).
"""

from shopsight.simulator.engine import default_truth_path, simulate

__all__ = ["default_truth_path", "simulate"]
