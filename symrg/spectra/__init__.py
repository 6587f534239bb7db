"""Kernels and their spectra: NNGP kernels, Funk-Hecke on the sphere, empirical and model spectra."""
from .kernels import ACTIVATIONS, NNGPKernel
from .topk import ErrorEstimate, TargetPower, TopKSpectrum, topk_spectrum

__all__ = ["ACTIVATIONS", "NNGPKernel", "TopKSpectrum", "TargetPower", "ErrorEstimate", "topk_spectrum"]
