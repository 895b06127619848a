# `sluice sql` against a real sluiced with the sql role (sql_cli.py).
list(APPEND SL_SQL_IT cli:360)
