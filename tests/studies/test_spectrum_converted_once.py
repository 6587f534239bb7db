"""Issue 23 item 5: a study validates and converts its spectrum once, at the door, and passes the
value itself on (every prediction takes the Shells; none re-converts an array)."""
import numpy as np

import symrg.numerics.flows as flows
from symrg.numerics.flows import Shells


def test_scaling_study_converts_the_pool_spectrum_once(monkeypatch):
    import symrg.numerics.predictions as pr
    import symrg.numerics.selfconsistent as sc
    import symrg.numerics.truncation as tr
    from symrg.spectra.kernels import NNGPKernel
    from symrg.studies.scaling import scaling_study

    raw = []
    built = []
    orig_as, orig_init = flows._as_shells, Shells.__post_init__

    def as_shells(spec):
        if not isinstance(spec, Shells):
            raw.append(type(spec).__name__)
        return orig_as(spec)

    def init(self):
        built.append(self.lam.size)
        return orig_init(self)

    for mod in (flows, pr, sc, tr):
        monkeypatch.setattr(mod, "_as_shells", as_shells)
    monkeypatch.setattr(Shells, "__post_init__", init)
    res = scaling_study("digits", NNGPKernel("relu", 1), 1e-3, [8, 16, 32], 800, trials=16, seed=0, target_class=0)
    assert np.isfinite(res["predicted_slope"])
    assert raw == []                                  # nothing handed an array where a Shells belongs
    assert built == [800], built                      # one Shells built and validated: the pool's 800 modes
