-- top_up.lua: credit a wallet top-up and append it to the ledger, at most once per reference.
-- The fee is computed by the caller (integer micros) and recorded beside the gross amount. A top-up
-- with a reference is remembered under that reference (no TTL: references are invoice or payment
-- ids); posting the same reference again credits nothing and answers the first top-up's result, so
-- a client that timed out can simply retry. Runs on Redis 6.2 and 7.x.
--
-- KEYS[1] account hash           kiln:{a:ID}:account
-- KEYS[2] ledger stream          kiln:{a:ID}:ledger
-- KEYS[3] top-up reference hash  kiln:{a:ID}:topup:<sha256(reference)> (ignored when ARGV[4] is "")
-- ARGV[1] gross amount paid, micros
-- ARGV[2] fee, micros
-- ARGV[3] credited amount (gross - fee), micros
-- ARGV[4] caller's reference ("" for none: never deduplicated)
-- ARGV[5] ledger length kept: XADD MAXLEN ~ this many entries (0 = never trimmed)
--
-- Returns {outcome, balance_after_micros, gross_micros, fee_micros, credited_micros}
-- outcome: "ok" | "replay" (the reference was used before with the same gross amount; the values
--          are those of that first top-up) | "reference_conflict" (used before with another gross
--          amount; values are the first top-up's) | "missing" (no such account)

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', 0, 0, 0, 0}
end
local has_ref = ARGV[4] ~= ''
if has_ref then
  local first = redis.call('HMGET', KEYS[3], 'gross_micros', 'fee_micros', 'credited_micros', 'balance_after_micros')
  if first[1] then
    local outcome = first[1] == ARGV[1] and 'replay' or 'reference_conflict'
    return {outcome, tonumber(first[4]), tonumber(first[1]), tonumber(first[2]), tonumber(first[3])}
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local balance = redis.call('HINCRBY', KEYS[1], 'balance_micros', tonumber(ARGV[3]))
local fields = {'type', 'topup', 'amount_micros', ARGV[1], 'fee_micros', ARGV[2],
  'credited_micros', ARGV[3], 'balance_delta_micros', ARGV[3], 'reserved_delta_micros', 0,
  'balance_after_micros', balance, 'reference', ARGV[4], 'ts_ms', now}
local entry
if tonumber(ARGV[5]) > 0 then
  entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(fields))
else
  entry = redis.call('XADD', KEYS[2], '*', unpack(fields))
end
if has_ref then
  redis.call('HSET', KEYS[3], 'gross_micros', ARGV[1], 'fee_micros', ARGV[2], 'credited_micros', ARGV[3],
    'balance_after_micros', balance, 'ledger_id', entry, 'ts_ms', now)
end
return {'ok', balance, tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])}
