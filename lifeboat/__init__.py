"""The `lifeboat` command: run one service, or the whole stack under a supervisor."""
