"""Runs as files: their records, the readers of histories and a program's metrics files into one run table, decide.json, and safe reading and writing."""
