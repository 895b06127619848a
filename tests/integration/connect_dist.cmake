# A pair of distributed Connect workers against a real sluiced: sluiced's
# own connect role and a sluice-connect-distributed process sharing file
# connectors' tasks, one stopped, both restarted, and an exactly-once
# source killed mid-stream (connect_dist.py; the plugins in
# build/connect-plugins).
list(APPEND SL_CONNECT_IT dist:600)
