-- Nexmark q0: pass-through (every bid decoded and written again).
CREATE STREAM Q0 AS SELECT * FROM BID;
