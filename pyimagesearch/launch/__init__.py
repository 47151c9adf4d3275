"""Running a grid's lines: the launchers by name (sh, GNU parallel, Slurm) and the progress line and tally of each run."""
