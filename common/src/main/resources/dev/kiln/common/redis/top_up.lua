-- top_up.lua: credit a wallet top-up and append it to the ledger. The 5 % fee is computed by the
-- caller (integer micros) and recorded beside the gross amount. Runs on Redis 6.2 and 7.x.
--
-- KEYS[1] account hash   kiln:{a:ID}:account
-- KEYS[2] ledger stream  kiln:{a:ID}:ledger
-- ARGV[1] gross amount paid, micros
-- ARGV[2] fee, micros
-- ARGV[3] credited amount (gross - fee), micros
-- ARGV[4] caller's reference ("" for none)
--
-- Returns {outcome, balance_micros}; outcome: "ok" | "missing" (no such account)

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local balance = redis.call('HINCRBY', KEYS[1], 'balance_micros', tonumber(ARGV[3]))
redis.call('XADD', KEYS[2], '*', 'type', 'topup', 'amount_micros', ARGV[1], 'fee_micros', ARGV[2],
  'credited_micros', ARGV[3], 'balance_delta_micros', ARGV[3], 'reserved_delta_micros', 0,
  'balance_after_micros', balance, 'reference', ARGV[4], 'ts_ms', now)
return {'ok', balance}
