-- Nexmark q8: new users: persons who opened an auction within 10 s of
-- registering (a stream-stream join on the seller).
CREATE STREAM Q8 AS SELECT P.ID AS ID, P.NAME AS NAME, A.RESERVE AS RESERVE
  FROM PERSON_STREAM P JOIN AUCTION A WITHIN 10 SECONDS ON P.ID = A.SELLER;
