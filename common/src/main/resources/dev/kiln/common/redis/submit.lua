-- submit.lua: the whole admission of an image request in one atomic round trip.
-- Authenticates the key, replays or rejects a reused Idempotency-Key, applies the per-key
-- sliding-window limits (requests and images per window), reserves n x price from the wallet,
-- writes the job record (status queued), appends the ledger (its reserve entry names the key's
-- hash, for per-key usage) and the idempotency record.
-- Any refusal changes nothing at all. Runs on Redis 6.2 and 7.x (uses TIME; effects replication).
-- Needs lib/tiers.lua (resolve_tier) prepended.
--
-- KEYS[1] account hash          kiln:{a:ID}:account
-- KEYS[2] api key hash          kiln:{a:ID}:key:<keyhash>
-- KEYS[3] request window zset   kiln:{a:ID}:rl:req:<keyhash>
-- KEYS[4] image window zset     kiln:{a:ID}:rl:img:<keyhash>
-- KEYS[5] job hash              kiln:{a:ID}:job:<jobId>
-- KEYS[6] ledger stream         kiln:{a:ID}:ledger
-- KEYS[7] idempotency hash      kiln:{a:ID}:idem:<sha256(Idempotency-Key)>, or kiln:{a:ID}:idem:sdk-<fingerprint>
--         for an SDK's automatic retries (ignored when ARGV[6] is "")
-- KEYS[8] optional: enqueue-pending zset  kiln:{a:ID}:enqueue-pending; when given, an admitted job
--         is added (score = admission millis) until the caller removes it after the Kafka ack, so a
--         job that never reached Kafka can be found and refunded later. Callers passing 7 keys skip it.
-- KEYS[9] optional: live-jobs zset  kiln:{a:ID}:live; when given, the admitted job is added with score =
--         its deadline_ms (from the spec; no deadline: admission + record TTL) until settle.lua removes
--         it, so the API's sweeper finds every job left unsettled past its deadline.
-- ARGV[1] job id
-- ARGV[2] n (images requested, >= 1)
-- ARGV[3] price per image, integer micros (>= 0)
-- ARGV[4] job spec JSON (stored in the job record)
-- ARGV[5] model id
-- ARGV[6] what earlier request this one may repeat, by its canonical body hash (fingerprint):
--           ""                    none: no lookup, no record
--           <fingerprint>         Idempotency-Key: an earlier record replays its job whatever became of it
--                                 (a different body is a conflict)
--           "sdk-record:"<fp>     an SDK's first attempt: no lookup, record the job for its retries
--           "sdk-retry:"<fp>      an SDK's automatic retry: replay the recorded job unless it failed or
--                                 expired (both refunded), in which case this is a fresh attempt
-- ARGV[7] idempotency record TTL, seconds
-- ARGV[8] job record TTL, seconds
-- ARGV[9] rate-limit window, millis
-- ARGV[10] ledger length kept: XADD MAXLEN ~ this many entries (0 = never trimmed)
-- ARGV[11] tier used when the key's/account's tier is not in the table
-- ARGV[12..] tier table: name, requests per window, images per window (repeated)
--
-- Returns {outcome, job_id, retry_after_ms,
--          req_limit, req_remaining, req_reset_ms, img_limit, img_remaining, img_reset_ms,
--          balance_micros, tier, plan}
-- outcome: "ok" | "replay" (job_id = the earlier job) | "unauthenticated" | "idempotency_conflict"
--          | "rate_limited_requests" | "rate_limited_images" | "insufficient_credits" (PAYG wallet short,
--          or an invoiced account's balance would fall below -credit_limit_micros)
-- For "unauthenticated" only the outcome is meaningful.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[9])
-- redis.call formats every number argument as a double (sprintf "%.17g", a visible share of this
-- script's cost); integers formatted once as strings are cheaper and exact.
local function int_s(x) return string.format('%d', x) end
local now_s = int_s(now)

local key = redis.call('HMGET', KEYS[2], 'status', 'tier')
local acct = redis.call('HMGET', KEYS[1], 'plan', 'tier', 'balance_micros', 'credit_limit_micros')
if key[1] ~= 'active' or not acct[1] then
  return {'unauthenticated', '', 0, 0, 0, 0, 0, 0, 0, 0, '', ''}
end
local plan = acct[1]
local balance = tonumber(acct[3] or '0')

local tier, req_limit, img_limit = resolve_tier(key[2], acct[2], 11)

-- Sliding log: one member per admitted request (or image), scored by admission time.
local cutoff_s = int_s(now - window)
local function used(zkey)
  redis.call('ZREMRANGEBYSCORE', zkey, '-inf', cutoff_s)
  return redis.call('ZCARD', zkey)
end
-- Millis until the window holds room for `cost` more entries.
local function retry_after(zkey, count, cost, limit)
  if cost > limit then return window end
  local idx = count + cost - limit - 1
  local e = redis.call('ZRANGE', zkey, idx, idx, 'WITHSCORES')
  if not e[2] then return window end
  return math.max(1, tonumber(e[2]) + window - now + 1)
end
-- Millis until every entry now in the window has left it.
local function reset_ms(zkey)
  local e = redis.call('ZRANGE', zkey, -1, -1, 'WITHSCORES')
  if not e[2] then return 0 end
  return math.max(0, tonumber(e[2]) + window - now)
end

local n = tonumber(ARGV[2])
local req_used = used(KEYS[3])
local img_used = used(KEYS[4])

-- An admission has just added entries at `now`, so both resets are a full window: no ZRANGE needed.
local function answer(outcome, job, retry, req_rem, img_rem, admitted)
  local req_reset = admitted and window or reset_ms(KEYS[3])
  local img_reset = admitted and window or reset_ms(KEYS[4])
  return {outcome, job, retry, req_limit, math.max(0, req_rem), req_reset,
          img_limit, math.max(0, img_rem), img_reset, balance, tier, plan}
end

local idem_mode, idem_body = 'none', ARGV[6]
if ARGV[6] ~= '' then
  local colon = string.find(ARGV[6], ':', 1, true)
  if colon then
    idem_mode, idem_body = string.sub(ARGV[6], 1, colon - 1), string.sub(ARGV[6], colon + 1)
  else
    idem_mode = 'key'
  end
end
if idem_mode == 'key' then
  local idem = redis.call('HMGET', KEYS[7], 'body', 'job')
  if idem[1] then
    if idem[1] == idem_body then
      return answer('replay', idem[2], 0, req_limit - req_used, img_limit - img_used)
    end
    return answer('idempotency_conflict', idem[2], 0, req_limit - req_used, img_limit - img_used)
  end
elseif idem_mode == 'sdk-retry' then
  local idem = redis.call('HMGET', KEYS[7], 'body', 'job')
  if idem[1] == idem_body then
    -- The earlier job's record shares the account's hash tag (same slot); it is named by the
    -- idempotency record, so it cannot be passed in KEYS.
    local prefix = string.sub(KEYS[1], 1, #KEYS[1] - #'account')
    local status = redis.call('HGET', prefix .. 'job:' .. idem[2], 'status')
    if status and status ~= 'failed' and status ~= 'expired' then
      return answer('replay', idem[2], 0, req_limit - req_used, img_limit - img_used)
    end
  end
end

if req_used + 1 > req_limit then
  return answer('rate_limited_requests', '', retry_after(KEYS[3], req_used, 1, req_limit),
                req_limit - req_used, img_limit - img_used)
end
if img_used + n > img_limit then
  return answer('rate_limited_images', '', retry_after(KEYS[4], img_used, n, img_limit),
                req_limit - req_used, img_limit - img_used)
end

local cost = n * tonumber(ARGV[3])
-- PAYG pays up front; an empty wallet is refused even for a free model. Invoiced accounts are
-- metered: their balance may go negative (what they owe), down to their credit limit when they have
-- one (no credit_limit_micros field: no ceiling).
local refused
if plan == 'invoiced' then
  refused = acct[4] and balance - cost < 0 - tonumber(acct[4])
else
  refused = balance <= 0 or balance < cost
end
if refused then
  return answer('insufficient_credits', '', 0, req_limit - req_used, img_limit - img_used)
end

local job_id = ARGV[1]
redis.call('ZADD', KEYS[3], now_s, job_id)
redis.call('PEXPIRE', KEYS[3], ARGV[9])
local images = {}
for k = 0, n - 1 do
  images[#images + 1] = now_s
  images[#images + 1] = job_id .. ':' .. k
end
redis.call('ZADD', KEYS[4], unpack(images))
redis.call('PEXPIRE', KEYS[4], ARGV[9])

-- Negate as 0 - x: Lua renders -0 as "-0", which HINCRBY rejects (free models cost 0).
local cost_s, neg_cost_s = int_s(cost), int_s(0 - cost)
balance = redis.call('HINCRBY', KEYS[1], 'balance_micros', neg_cost_s)
redis.call('HINCRBY', KEYS[1], 'reserved_micros', cost_s)

redis.call('HSET', KEYS[5],
  'status', 'queued', 'account', string.match(KEYS[1], '{a:([^}]*)}'), 'spec', ARGV[4],
  'model', ARGV[5], 'n', ARGV[2], 'price_micros', ARGV[3], 'reserved_micros', cost_s,
  'charged_micros', '0', 'refunded_micros', '0', 'settled', '0', 'attempts', '0',
  'images_produced', '0', 'created_ms', now_s, 'updated_ms', now_s)
redis.call('EXPIRE', KEYS[5], ARGV[8])

local reserve = {'type', 'reserve', 'job', job_id, 'key', string.match(KEYS[2], ':key:(.*)$'),
  'amount_micros', cost_s, 'balance_delta_micros', neg_cost_s, 'reserved_delta_micros', cost_s,
  'balance_after_micros', int_s(balance), 'ts_ms', now_s}
if ARGV[10] == '0' then
  redis.call('XADD', KEYS[6], '*', unpack(reserve))
else
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[10], '*', unpack(reserve))
end

if KEYS[8] then
  redis.call('ZADD', KEYS[8], now_s, job_id)
  redis.call('EXPIRE', KEYS[8], ARGV[8])
end

if KEYS[9] then
  -- The digits as Redis got them: a score string is exact, a Lua number would print as a double.
  local deadline = string.match(ARGV[4], '"deadline_ms":(%d+)')
  if not deadline or deadline == '0' then
    deadline = int_s(now + tonumber(ARGV[8]) * 1000)
  end
  redis.call('ZADD', KEYS[9], deadline, job_id)
  -- Outlives every job record it indexes (each submit pushes it to the newest record's TTL).
  redis.call('EXPIRE', KEYS[9], ARGV[8])
end

if idem_mode ~= 'none' then
  redis.call('HSET', KEYS[7], 'body', idem_body, 'job', job_id)
  redis.call('EXPIRE', KEYS[7], ARGV[7])
end

return answer('ok', job_id, 0, req_limit - req_used - 1, img_limit - img_used - n, true)
