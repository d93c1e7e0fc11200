package dev.kiln.common.redis;

/**
 * The Lua scripts shared by the API and the worker. Each file starts with a header stating its
 * KEYS, ARGV and return value; all run on Redis 6.2 and 7.x and read the clock with TIME.
 */
public final class KilnScripts {
    /** Shared {@code resolve_tier} function, prepended to the scripts that apply rate tiers. */
    private static final String TIERS = "lib/tiers.lua";

    /** Authenticate, idempotency, rate limits, reserve credits, write job + ledger: the submit round trip. */
    public static final LuaScript SUBMIT = LuaScript.load("submit.lua", TIERS);
    /** Move a job to a terminal state and settle its money exactly once; publishes job-done. */
    public static final LuaScript SETTLE = LuaScript.load("settle.lua");
    /** A worker takes a job: queued|running → running, counts attempts. */
    public static final LuaScript MARK_RUNNING = LuaScript.load("mark_running.lua");
    /** Authenticate a key and report (without consuming) its rate-limit state. */
    public static final LuaScript AUTHENTICATE = LuaScript.load("authenticate.lua", TIERS);
    /** Credit a top-up (fee already deducted) and append it to the ledger. */
    public static final LuaScript TOP_UP = LuaScript.load("top_up.lua");
    /** Create an account hash if absent. */
    public static final LuaScript CREATE_ACCOUNT = LuaScript.load("create_account.lua");
    /** Delete a lock key only while it holds the caller's token. */
    public static final LuaScript RELEASE_LOCK = LuaScript.load("release_lock.lua");

    private KilnScripts() {
    }
}
