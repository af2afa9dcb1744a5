"""What the executor does with a job from the JOBS stream, one module per kind (backup, restore,
verify), and what every kind needs (`context`, `progress`)."""
