-- create_account.lua: create an account with an empty wallet unless it exists.
-- Runs on Redis 6.2 and 7.x.
--
-- KEYS[1] account hash  kiln:{a:ID}:account
-- ARGV[1] plan: payg | invoiced
-- ARGV[2] rate tier name
-- ARGV[3] optional: credit limit in micros (how far below zero an invoiced balance may go); "" or
--         absent = no ceiling
--
-- Returns {outcome}; outcome: "created" | "exists"

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'exists'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'plan', ARGV[1], 'tier', ARGV[2], 'balance_micros', 0,
  'reserved_micros', 0, 'created_ms', now)
if ARGV[3] and ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'credit_limit_micros', ARGV[3])
end
return {'created'}
