"""Generated modules (do not edit by hand): see symrg.codegen.modules."""
