-- Nexmark q2: selection: the bids on a sparse set of auctions.
CREATE STREAM Q2 AS SELECT AUCTION, PRICE FROM BID WHERE AUCTION % 123 = 0;
