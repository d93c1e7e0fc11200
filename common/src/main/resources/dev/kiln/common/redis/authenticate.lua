-- authenticate.lua: check an API key and report its rate-limit state without consuming any of
-- it (used by every authenticated endpoint except submit, which does this inside submit.lua).
-- Read-only. Runs on Redis 6.2 and 7.x. Needs lib/tiers.lua (resolve_tier) prepended.
--
-- KEYS[1] account hash          kiln:{a:ID}:account
-- KEYS[2] api key hash          kiln:{a:ID}:key:<keyhash>
-- KEYS[3] request window zset   kiln:{a:ID}:rl:req:<keyhash>
-- KEYS[4] image window zset     kiln:{a:ID}:rl:img:<keyhash>
-- ARGV[1] rate-limit window, millis
-- ARGV[2] tier used when the key's/account's tier is not in the table
-- ARGV[3..] tier table: name, requests per window, images per window (repeated)
--
-- Returns {outcome, tier, plan, req_limit, req_remaining, req_reset_ms,
--          img_limit, img_remaining, img_reset_ms}
-- outcome: "ok" | "unauthenticated"

local key = redis.call('HMGET', KEYS[2], 'status', 'tier')
local acct = redis.call('HMGET', KEYS[1], 'plan', 'tier')
if key[1] ~= 'active' or not acct[1] then
  return {'unauthenticated', '', '', 0, 0, 0, 0, 0, 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])

local tier, req_limit, img_limit = resolve_tier(key[2], acct[2], 2)

local function state(zkey, limit)
  local count = redis.call('ZCOUNT', zkey, '(' .. (now - window), '+inf')
  local e = redis.call('ZRANGE', zkey, -1, -1, 'WITHSCORES')
  local reset = 0
  if e[2] then reset = math.max(0, tonumber(e[2]) + window - now) end
  return math.max(0, limit - count), reset
end
local req_rem, req_reset = state(KEYS[3], req_limit)
local img_rem, img_reset = state(KEYS[4], img_limit)
return {'ok', tier, acct[1], req_limit, req_rem, req_reset, img_limit, img_rem, img_reset}
