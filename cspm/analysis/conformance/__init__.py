"""Conformance to the to-be model: reference models, specs, checking, rules."""
