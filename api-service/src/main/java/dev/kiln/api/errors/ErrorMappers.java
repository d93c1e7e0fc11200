package dev.kiln.api.errors;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every failure into OpenAI's error shape; unexpected ones are logged here, never echoed. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return toResponse(e);
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return toResponse(new ApiException(ErrorType.NOT_FOUND, "Unknown path.", null, ErrorCodes.NOT_FOUND));
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        ApiException api = new ApiException(ErrorType.INVALID_REQUEST, "Method not allowed on this path.", null,
                "method_not_allowed");
        return Response.status(405).type(MediaType.APPLICATION_JSON).entity(ErrorBody.of(api)).build();
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e) {
        return toResponse(ApiException.invalid(null, "unsupported_media_type",
                "Unsupported Content-Type for this endpoint."));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        if (status >= 400 && status < 500) {
            ApiException api = new ApiException(ErrorType.INVALID_REQUEST, "The request could not be processed.",
                    null, "bad_request");
            return Response.status(status).type(MediaType.APPLICATION_JSON).entity(ErrorBody.of(api)).build();
        }
        return unexpected(e);
    }

    @ServerExceptionMapper
    public Response redis(io.lettuce.core.RedisException e) {
        return toResponse(dev.kiln.api.redis.RedisCalls.unavailable(e));
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        LOG.error("unexpected error", e);
        return toResponse(new ApiException(ErrorType.SERVER, "The server had an error processing your request.",
                null, ErrorCodes.INTERNAL));
    }

    /** The failure behind the {@link java.util.concurrent.CompletionException}s a CompletionStage wraps it in. */
    public static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    public static Response toResponse(ApiException e) {
        Response.ResponseBuilder b = Response.status(e.type().httpStatus())
                .type(MediaType.APPLICATION_JSON)
                .entity(ErrorBody.of(e));
        e.headers().forEach(b::header);
        return b.build();
    }
}
