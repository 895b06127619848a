-- Nexmark q4: average closing price per category: the bids made while their
-- auction was open (a stream-stream join), the highest per auction (its
-- closing price so far), averaged per category (a table aggregation that
-- retracts an auction's previous price when it rises).
CREATE STREAM Q4_BIDS AS SELECT A.ID AS ID, A.CATEGORY AS CATEGORY, B.PRICE AS PRICE
  FROM AUCTION A JOIN BID B WITHIN 20 SECONDS ON A.ID = B.AUCTION
  WHERE B.DATETIME BETWEEN A.DATETIME AND A.EXPIRES;
CREATE TABLE Q4_CLOSING AS SELECT ID, LATEST_BY_OFFSET(CATEGORY) AS CATEGORY, MAX(PRICE) AS FINAL
  FROM Q4_BIDS GROUP BY ID;
CREATE TABLE Q4 AS SELECT CATEGORY, AVG(FINAL) AS AVG_PRICE FROM Q4_CLOSING GROUP BY CATEGORY;
