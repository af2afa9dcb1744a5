"""The catalog's rules, as pure functions of data: no I/O, no driver, no broker."""
