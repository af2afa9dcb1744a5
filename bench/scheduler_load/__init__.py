"""The parts of bench/scheduler_scale.py: schedule rows, scheduler processes, the two parts, the report."""
