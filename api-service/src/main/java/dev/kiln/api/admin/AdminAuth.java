package dev.kiln.api.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;

/** Checks the admin bearer token in constant time; with no token configured, nobody is admin. */
@ApplicationScoped
public class AdminAuth {
    private final Optional<byte[]> token;

    public AdminAuth(ApiConfig config) {
        this.token = config.adminToken().filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    public void require(String authorization) {
        byte[] presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8)
                : new byte[0];
        if (token.isEmpty() || !MessageDigest.isEqual(token.get(), presented)) {
            throw new ApiException(ErrorType.AUTHENTICATION, "Invalid admin token.", null, ErrorCodes.INVALID_API_KEY,
                    Map.of("WWW-Authenticate", "Bearer"));
        }
    }
}
