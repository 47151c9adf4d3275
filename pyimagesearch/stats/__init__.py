"""The statistics, no I/O and no text: the paired tests, the family and the looks, the measure compared, the speed-up, tuning budgets, and simulations with a known truth."""
