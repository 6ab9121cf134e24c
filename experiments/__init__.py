"""The experiments: each module is one study, a sweep or a set of runs and what it shows.

Run one from the repository's root as a module, so it imports the project and its shared
helpers without any path set-up: `python -m experiments.us_pressure --quick`.

Shared by the sweep experiments:
- `common`: the options every experiment takes, running its sweep, and writing what it found
  (table, figure, summary) the same way for each;
- `aggregate`: seeds aggregated into means with 90% intervals;
- `saturation`: where a sweep stops changing at the top of its range;
- `figures`: matplotlib set-up and the mean-with-band line every figure draws;
- `prose`: numbers, markdown tables and provenance for the summaries.
"""
