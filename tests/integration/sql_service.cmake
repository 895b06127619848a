# The SQL service's REST API against a real sluiced with the sql role
# (sql_service.py; Python's urllib and confluent_kafka, no driver).
list(APPEND SL_SQL_IT service:420)
