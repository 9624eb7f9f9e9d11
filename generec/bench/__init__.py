"""The outer layer's benchmarks and evaluation: `python -m generec bench <what>` (registry.py),
one module per benchmark, each printing numbers; evaluate.py scores the instructor on request
sets, ann.py is the approximate index measured for larger corpora. Nothing in the package imports it.
"""
