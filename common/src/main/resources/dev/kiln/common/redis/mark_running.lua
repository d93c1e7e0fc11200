-- mark_running.lua: a worker takes a job. queued -> running; a job already running (a
-- redelivery after a worker died) stays running; each call counts one attempt. Terminal jobs
-- are reported so the worker skips them. Runs on Redis 6.2 and 7.x.
--
-- KEYS[1] job hash  kiln:{a:ID}:job:<jobId>
-- ARGV    none
--
-- Returns {outcome, status, attempts}
-- outcome: "running" (run it) | "terminal" (skip; status is the terminal one) | "missing" (skip)

local job = redis.call('HMGET', KEYS[1], 'status', 'settled', 'attempts')
if not job[1] then
  return {'missing', '', 0}
end
if job[2] == '1' then
  return {'terminal', job[1], tonumber(job[3] or '0')}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if job[1] == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'started_ms', now, 'updated_ms', now)
else
  redis.call('HSET', KEYS[1], 'updated_ms', now)
end
return {'running', 'running', attempts}
