# The Connect worker's REST API and `sluice connect` against
# sluice-connect-standalone and a real sluiced, with the file connectors
# (connect_rest.py; needs the sluice tool built too).
list(APPEND SL_CONNECT_IT rest:420)
