"""Kernels and their spectra: NNGP kernels, Funk-Hecke on the sphere, empirical and model spectra."""
from .kernels import ACTIVATIONS, NNGPKernel

__all__ = ["ACTIVATIONS", "NNGPKernel"]
