"""Who is calling, and what they may do: users, their passwords and tokens, roles and
per-DAG grants, checked on every route (see `policy.py` for the table)."""
