# The standalone Connect worker against a real sluiced: file source ->
# topic -> file sink, a clean run and a kill -9 mid-stream.
# connect_standalone.py runs sluice-connect-standalone with the plugins in
# build/connect-plugins (both built by connect/).
list(APPEND SL_CONNECT_IT standalone:600)
