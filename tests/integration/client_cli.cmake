# The sluice tool end to end (client_cli.py): sluice and sluiced from
# build/bin against each other, confluent_kafka as the independent client.
if(TARGET sluice)
  list(APPEND SL_CLIENT_IT cli:300)
endif()
