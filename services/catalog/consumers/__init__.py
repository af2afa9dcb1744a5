"""The catalog's event consumers: each class has `handle(body)`, bound in `app.py` only."""
