package dev.kiln.common.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script loaded from a classpath resource, with the SHA-1 Redis uses for EVALSHA.
 *
 * @param name resource file name (for logs and errors)
 * @param source the script text
 * @param sha1 lower-case hex SHA-1 of the source
 */
public record LuaScript(String name, String source, String sha1) {

    /**
     * Loads {@code name} from {@code dev/kiln/common/redis/} on the classpath, with the given library
     * files (e.g. {@code lib/tiers.lua}) prepended: Redis scripts cannot import each other, so shared
     * Lua functions travel as a prefix of every script that uses them.
     */
    public static LuaScript load(String name, String... libraries) {
        StringBuilder source = new StringBuilder();
        for (String library : libraries) {
            source.append(read(library));
        }
        source.append(read(name));
        return new LuaScript(name, source.toString(), sha1(source.toString()));
    }

    private static String read(String name) {
        String path = "/dev/kiln/common/redis/" + name;
        try (InputStream in = LuaScript.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String source) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
