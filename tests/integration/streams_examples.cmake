# The streams examples end to end (examples/, README.md "Streams"):
# streams_examples.py runs sluice-example-wordcount against a real sluiced
# and checks its counts against Python's; streams_examples_more.py runs
# sluice-example-fraud and sluice-example-sessions (shared code in
# streams_examples_util.py). Registered once the examples are built.
if(TARGET sluice-example-wordcount)
  list(APPEND SL_STREAMS_IT examples:420 examples_more:420)
endif()
