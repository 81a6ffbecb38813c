"""Benchmarks: a dataset generator and measurements over real HTTP, each printing one JSON line of figures.

They compare ratios within one run (page 400 against page 1, one database against the other); they are not
timed tests and assert nothing.
"""
