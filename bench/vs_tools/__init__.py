"""The parts of bench/backup_vs_tools.py: sources and raw tools, the rounds, the report."""
