"""A loaded model, and how Python arguments become the arrays Rust reads.

The native ``predict`` takes arrays of exact dtypes; this wrapper accepts
what Python users pass (lists, ints of any width, ASE ``Cell`` objects) and
turns mistakes into ``ValueError``/``TypeError`` that name the argument,
before any Rust runs.
"""

import json
import os

import numpy as np

from . import _native


def load(path):
    """Loads a trained eqv checkpoint.

    ``path`` is a ``model.safetensors`` file or the directory a training run
    wrote (``eqv train --out DIR``). Raises ``FileNotFoundError`` when there
    is no checkpoint there and ``ValueError`` when the file is not a valid
    eqv checkpoint (damaged, or an architecture this build does not know).
    """
    return Model(_native.load(os.fspath(path)))


class Model:
    """A trained eqv potential. Build it with :func:`load`.

    Attributes: ``species`` (atomic numbers the model knows), ``cutoff``
    (Å), ``architecture``, ``config`` (dict), ``epoch``, ``path``.
    """

    def __init__(self, native):
        if not isinstance(native, _native.Model):
            raise TypeError("build a Model with eqv.load(path)")
        self._native = native

    @property
    def species(self):
        return list(self._native.species)

    @property
    def cutoff(self):
        return self._native.cutoff

    @property
    def architecture(self):
        return self._native.architecture

    @property
    def config(self):
        return json.loads(self._native.config_json)

    @property
    def epoch(self):
        return self._native.epoch

    @property
    def path(self):
        return self._native.path

    def __repr__(self):
        return (
            f"eqv.Model({self.architecture}, species={self.species}, "
            f"cutoff={self.cutoff} Å, epoch={self.epoch}, path='{self.path}')"
        )

    def predict(self, numbers, positions, cell=None, pbc=None):
        """Energy, forces and (periodic cells) stress of one structure.

        ``numbers``: N atomic numbers. ``positions``: (N, 3) in Å.
        ``cell``: (3, 3) lattice vectors as rows in Å, or None for a finite
        cluster. ``pbc``: one bool or three; by default periodic in all
        directions when a cell is given and not periodic without one.

        Returns a dict: ``energy`` (float, eV), ``forces`` ((N, 3) array,
        eV/Å) and, when the cell is periodic in all three directions,
        ``stress`` ((6,) array, eV/Å³, Voigt order xx yy zz yz xz xy,
        ASE's sign: positive under tension).

        Raises ``ValueError`` for wrong shapes, numbers that are not
        atomic numbers, elements the model was not trained on, positions
        or cells that are not finite, and periodic directions without a
        cell.
        """
        numbers = _atomic_numbers(numbers)
        positions = _float_array("positions", positions, (len(numbers), 3))
        if cell is not None:
            cell = _float_array("cell", cell, (3, 3))
        if pbc is not None:
            pbc = _pbc(pbc)
        return self._native.predict(numbers, positions, cell, pbc)


def _atomic_numbers(numbers):
    a = np.asarray(numbers)
    if a.ndim != 1:
        raise ValueError(f"numbers must be one atomic number per atom (1-D), got shape {a.shape}")
    if a.size and a.dtype.kind not in "iu":
        raise ValueError(f"numbers must be integers (atomic numbers), got dtype {a.dtype}")
    if a.dtype.kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError("numbers must be atomic numbers (1..=118)")
    return np.ascontiguousarray(a, dtype=np.int64)


def _float_array(name, value, shape):
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be numbers of shape {shape}: {e}") from None
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return np.ascontiguousarray(a)


def _pbc(pbc):
    a = np.asarray(pbc)
    if a.dtype != np.bool_:
        raise ValueError(f"pbc must be one bool or three, got {pbc!r}")
    if a.shape == ():
        a = np.repeat(a, 3)
    if a.shape != (3,):
        raise ValueError(f"pbc must be one bool or three, got shape {a.shape}")
    return [bool(x) for x in a]
