-- release_lock.lua: delete a lock key only if it still holds the caller's token, so an instance whose
-- lock expired (and was taken by another) never frees the other's. Runs on Redis 6.2 and 7.x.
--
-- KEYS[1] lock key  (e.g. kiln:sweeper:lock)
-- ARGV[1] the token the caller set it to
--
-- Returns 1 when released, 0 when the key is absent or held by another token.

if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
