"""Your own training program: the command template expanded per run, and the wrapper that runs it and writes its run as train.py's are written."""
