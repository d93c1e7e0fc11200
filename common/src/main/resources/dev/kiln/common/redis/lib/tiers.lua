-- lib/tiers.lua: prepended by LuaScript.load to the scripts that resolve a caller's rate tier
-- (submit.lua, authenticate.lua); never run on its own. Runs on Redis 6.2 and 7.x.
--
-- resolve_tier(key_tier, account_tier, first)
--   ARGV[first]      tier used when the key's/account's tier is not in the table
--   ARGV[first+1..]  tier table: name, requests per window, images per window (repeated)
-- Returns tier, req_limit, img_limit: the key's tier if set, else the account's; the fallback tier
-- (limits 0 if it is missing too) when that tier is not in the table.
local function resolve_tier(key_tier, account_tier, first)
  local tier = key_tier
  if not tier or tier == '' then tier = account_tier or '' end
  local req_limit, img_limit, fallback_req, fallback_img
  local i = first + 1
  while i + 2 <= #ARGV do
    if ARGV[i] == tier then
      req_limit = tonumber(ARGV[i + 1]); img_limit = tonumber(ARGV[i + 2])
    end
    if ARGV[i] == ARGV[first] then
      fallback_req = tonumber(ARGV[i + 1]); fallback_img = tonumber(ARGV[i + 2])
    end
    i = i + 3
  end
  if not req_limit then
    return ARGV[first], fallback_req or 0, fallback_img or 0
  end
  return tier, req_limit, img_limit
end

