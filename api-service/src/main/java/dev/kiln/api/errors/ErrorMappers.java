package dev.kiln.api.errors;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.core.multipart.MultipartParser.MalformedMessageException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import io.lettuce.core.RedisException;

/**
 * The service's one exception → HTTP map. Every stage fails with its own typed exception (an
 * {@link ApiException}, a Lettuce {@link RedisException}, a timeout, a JAX-RS exception) and the
 * failure reaches this class unchanged, also from a failed CompletionStage. Every answer is OpenAI's
 * error shape with {@code x-should-retry}; unexpected failures are logged here, never echoed.
 */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String SHOULD_RETRY = "x-should-retry";
    /** What Quarkus' body reading fails with past {@code quarkus.http.limits.max-body-size}. */
    private static final String REQUEST_TOO_LARGE_MESSAGE = "Request too large";

    @ServerExceptionMapper
    public Response map(Throwable error) {
        return render(toApiException(error));
    }

    /** The OpenAI-shaped error a failure answers with. */
    public static ApiException toApiException(Throwable error) {
        Throwable cause = Failures.unwrap(error);
        if (cause instanceof ApiException api) {
            return api;
        }
        if (cause instanceof RedisException || cause instanceof TimeoutException) {
            LOG.warnf("backend call failed: %s", cause.toString());
            return ApiException.backendUnavailable();
        }
        if (cause instanceof IOException || cause instanceof MalformedMessageException) {
            // Resources wrap their own I/O failures (S3, Redis) in typed exceptions: an I/O failure that
            // reaches this map came from reading the request body, so the request is at fault.
            return REQUEST_TOO_LARGE_MESSAGE.equals(cause.getMessage()) ? tooLarge() : unreadableBody();
        }
        if (cause instanceof RejectedExecutionException) {
            return ApiException.unavailable(ErrorCodes.SERVER_BUSY, "The server is busy; retry shortly.", 1);
        }
        if (cause instanceof NotFoundException) {
            return new ApiException(ErrorType.NOT_FOUND, "Unknown path.", null, ErrorCodes.NOT_FOUND);
        }
        if (cause instanceof NotAllowedException) {
            return new ApiException(ErrorType.METHOD_NOT_ALLOWED, "Method not allowed on this path.", null,
                    ErrorCodes.METHOD_NOT_ALLOWED);
        }
        if (cause instanceof NotSupportedException) {
            return ApiException.invalid(null, ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported Content-Type for this endpoint.");
        }
        if (cause instanceof WebApplicationException web && web.getResponse() != null
                && web.getResponse().getStatus() == ErrorType.REQUEST_TOO_LARGE.httpStatus()) {
            return tooLarge();
        }
        if (cause instanceof WebApplicationException web && web.getResponse() != null
                && web.getResponse().getStatus() >= 400 && web.getResponse().getStatus() < 500) {
            return ApiException.invalid(null, ErrorCodes.BAD_REQUEST, "The request could not be processed.");
        }
        LOG.error("unexpected error", cause);
        return ApiException.internal();
    }

    /** A malformed or truncated body, e.g. multipart without its closing boundary. */
    public static ApiException unreadableBody() {
        return ApiException.invalid(null, ErrorCodes.INVALID_MULTIPART,
                "The request body could not be read (malformed or truncated).");
    }

    /** The 413 for a body over the configured limit. */
    public static ApiException tooLarge() {
        return new ApiException(ErrorType.REQUEST_TOO_LARGE, "The request body is too large.", null,
                ErrorCodes.REQUEST_TOO_LARGE);
    }

    /** The JAX-RS answer for an error. */
    public static Response render(ApiException e) {
        Response.ResponseBuilder b = Response.status(e.type().httpStatus())
                .type(MediaType.APPLICATION_JSON)
                .entity(ErrorBody.of(e));
        e.headers().forEach(b::header);
        b.header(SHOULD_RETRY, Boolean.toString(e.retryable()));
        return b.build();
    }

    /** The body of an error answered outside JAX-RS (by the HTTP layer, before a resource runs). */
    public static String json(ApiException e) {
        try {
            return JSON.writeValueAsString(ErrorBody.of(e));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
