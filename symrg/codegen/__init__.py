"""SymPy -> importable NumPy modules with an mpmath twin (the printer, the einsum lowering) and the
regeneration of the committed modules in ``symrg/_generated`` from their derivations."""
from .einsum import input_ridge_functions, render_input_ridge_module
from .modules import (deep_finite_width_functions, deep_pair_functions, regenerate_deep_finite_width_pair, gaussian_flow_functions, regenerate_deep_finite_width, regenerate_gaussian_flow, regenerate_input_ridge,
                      regenerate_second_order_posterior, regenerate_selfconsistent_flow, second_order_posterior_functions,
                      selfconsistent_flow_functions)
from .printer import (MPMATH_TABLE, NUMPY_TABLE, CodegenError, generate_module, generated_dir, load_generated,
                      render_module, source_hash)

__all__ = ["CodegenError", "render_module", "generate_module", "load_generated", "generated_dir", "source_hash",
           "NUMPY_TABLE", "MPMATH_TABLE", "gaussian_flow_functions", "regenerate_gaussian_flow",
           "input_ridge_functions", "render_input_ridge_module", "regenerate_input_ridge",
           "selfconsistent_flow_functions", "regenerate_selfconsistent_flow",
           "deep_finite_width_functions", "regenerate_deep_finite_width",
           "deep_pair_functions", "regenerate_deep_finite_width_pair",
           "second_order_posterior_functions", "regenerate_second_order_posterior"]
