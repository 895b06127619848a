-- Nexmark q3: local item suggestion: auctions of category 10 whose sellers
-- live in Oregon, Idaho or California (a stream-table join on the seller,
-- which keys the result).
CREATE STREAM Q3 AS SELECT A.SELLER AS SELLER, P.NAME AS NAME, P.CITY AS CITY, P.STATE AS STATE, A.ID AS ID
  FROM AUCTION A JOIN PERSON P ON A.SELLER = P.ID
  WHERE A.CATEGORY = 10 AND (P.STATE = 'OR' OR P.STATE = 'ID' OR P.STATE = 'CA');
