CREATE STREAM pageviews (viewtime BIGINT, userid VARCHAR KEY, pageid STRING)
  WITH (kafka_topic='pageviews', value_format='JSON', partitions=1);
