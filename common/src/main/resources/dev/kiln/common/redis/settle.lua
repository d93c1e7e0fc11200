-- settle.lua: move a job to a terminal state and settle its money exactly once.
-- Charges price x min(images_produced, n), refunds the rest of the reservation, appends one
-- ledger entry, records result/error and PUBLISHes the new status on kiln:job-done:<jobId>.
-- A job already terminal is left untouched (idempotent for redelivery and retries).
-- Runs on Redis 6.2 and 7.x.
--
-- KEYS[1] job hash       kiln:{a:ID}:job:<jobId>
-- KEYS[2] account hash   kiln:{a:ID}:account
-- KEYS[3] ledger stream  kiln:{a:ID}:ledger
-- KEYS[4] optional: live-jobs zset  kiln:{a:ID}:live; the settled job leaves it (the sweeper's index)
-- ARGV[1] target status: succeeded | failed | canceled | expired
-- ARGV[2] statuses the transition may start from, comma separated (e.g. "queued,running")
-- ARGV[3] images produced (>= 0)
-- ARGV[4] result S3 keys, JSON array
-- ARGV[5] error code ("" for none)
-- ARGV[6] error message ("" for none)
-- ARGV[7] pub/sub channel to announce on (kiln:job-done:<jobId>)
-- ARGV[8] optional: ledger length kept, XADD MAXLEN ~ this many entries (absent or 0 = never trimmed)
--
-- Returns {outcome, status, charged_micros, refunded_micros}
-- outcome: "settled" (this call settled it) | "terminal" (already settled earlier; amounts are the
--          earlier ones) | "not_allowed" (current status not in ARGV[2]) | "missing"

local job = redis.call('HMGET', KEYS[1], 'status', 'settled', 'n', 'price_micros',
                       'reserved_micros', 'charged_micros', 'refunded_micros')
local status = job[1]
if not status then
  return {'missing', '', 0, 0}
end
if job[2] == '1' then
  return {'terminal', status, tonumber(job[6] or '0'), tonumber(job[7] or '0')}
end
local allowed = false
for s in string.gmatch(ARGV[2], '[^,]+') do
  if s == status then allowed = true end
end
if not allowed then
  return {'not_allowed', status, 0, 0}
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local n = tonumber(job[3])
local reserved = tonumber(job[5])
local produced = math.min(math.max(tonumber(ARGV[3]), 0), n)
local charged = math.min(produced * tonumber(job[4]), reserved)
local refunded = reserved - charged

redis.call('HINCRBY', KEYS[2], 'reserved_micros', 0 - reserved)
local balance = redis.call('HINCRBY', KEYS[2], 'balance_micros', refunded)

local job_id = string.match(KEYS[1], ':job:(.*)$')
local entry = {'type', 'settle', 'job', job_id,
  'status', ARGV[1], 'images', produced, 'charged_micros', charged, 'refunded_micros', refunded,
  'balance_delta_micros', refunded, 'reserved_delta_micros', 0 - reserved,
  'balance_after_micros', balance, 'ts_ms', now}
local max_len = tonumber(ARGV[8] or '0')
if max_len > 0 then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', unpack(entry))
else
  redis.call('XADD', KEYS[3], '*', unpack(entry))
end
if KEYS[4] then
  redis.call('ZREM', KEYS[4], job_id)
end

redis.call('HSET', KEYS[1], 'status', ARGV[1], 'settled', 1, 'images_produced', produced,
  'result', ARGV[4], 'error_code', ARGV[5], 'error_message', ARGV[6],
  'charged_micros', charged, 'refunded_micros', refunded, 'updated_ms', now, 'finished_ms', now)

redis.call('PUBLISH', ARGV[7], ARGV[1])
return {'settled', ARGV[1], charged, refunded}
