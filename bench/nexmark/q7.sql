-- Nexmark q7: the highest bid of each 10 s window. ksqlDB aggregates only
-- with GROUP BY, so every bid goes to one group (AUCTION * 0).
CREATE TABLE Q7 AS SELECT AUCTION * 0 AS ALL_BIDS, MAX(PRICE) AS MAXPRICE FROM BID
  WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY AUCTION * 0;
