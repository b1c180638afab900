"""eqv from Python: trained E(3)-equivariant interatomic potentials.

``load(path)`` reads a checkpoint that eqv's trainer wrote (a
``model.safetensors`` file, or the training run's ``--out`` directory) and
returns a :class:`Model`; ``Model.predict`` gives the energy (eV), forces
(eV/Å) and, for cells periodic in all three directions, the stress (eV/Å³,
Voigt order xx yy zz yz xz xy, positive under tension as in ASE) as numpy
arrays. :class:`EqvCalculator` is the same model as an ASE calculator.

The numbers come from the Rust library itself (``eqv::zoo::load`` and
``eqv::simulation::ModelPotential``), in double precision: what Python
predicts is what ``eqv evaluate`` and ``eqv md`` predict.
"""

from ._model import Model, load
from ._native import __version__

__all__ = ["EqvCalculator", "Model", "load", "__version__"]


def __getattr__(name):
    # ASE is optional: importing eqv for numpy predictions must not need it.
    if name == "EqvCalculator":
        from .calculator import EqvCalculator

        return EqvCalculator
    raise AttributeError(f"module 'eqv' has no attribute {name!r}")
