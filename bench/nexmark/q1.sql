-- Nexmark q1: currency conversion (dollars to euros) of every bid's price.
CREATE STREAM Q1 AS SELECT AUCTION, BIDDER, 0.908 * PRICE AS PRICE, DATETIME FROM BID;
