package dev.kiln.api.http;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.MDC;

import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.ErrorMappers;
import dev.kiln.common.errors.ErrorType;
import io.netty.handler.codec.DecoderException;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The HTTP layer in front of every resource: gives each request an {@code x-request-id} (on every
 * answer, errors included, and in the log context), refuses a body whose declared length is over the
 * limit before reading it, and answers failures raised while the body is read (a malformed or truncated
 * multipart body, a body over the limit) in OpenAI's error shape instead of Vert.x's bare 400/413/500.
 */
@ApplicationScoped
public class HttpFront {
    /** Response header and routing-context key of the request id. */
    public static final String REQUEST_ID = "x-request-id";
    /** Log context key of the request id. */
    public static final String MDC_REQUEST_ID = "requestId";

    private final long maxBodyBytes;

    public HttpFront(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
        this.maxBodyBytes = maxBodySize.asLongValue();
    }

    void install(@Observes Router router) {
        // Before every other route, so that even Quarkus' own body handling answers with the id.
        router.route().order(Integer.MIN_VALUE).handler(this::front).failureHandler(this::failed);
    }

    /** The request id of a request that passed the front. */
    public static String requestId(RoutingContext context) {
        return context.get(REQUEST_ID);
    }

    private void front(RoutingContext context) {
        String id = newId();
        context.put(REQUEST_ID, id);
        context.response().putHeader(REQUEST_ID, id);
        MDC.put(MDC_REQUEST_ID, id);
        if (declaredLength(context) > maxBodyBytes) {
            // Answer without reading the body; closing afterwards spares reading the rest of it.
            context.response().putHeader(HttpHeaders.CONNECTION, "close");
            reply(context, ErrorMappers.tooLarge());
            return;
        }
        context.next();
    }

    private void failed(RoutingContext context) {
        if (context.response().ended() || context.response().closed()) {
            return;
        }
        reply(context, toApiException(context.statusCode(), context.failure()));
    }

    /**
     * A failure before a resource ran: Vert.x reports a body over the limit as 413 and one it could not
     * decode (e.g. multipart) as 400; anything else goes through the service's error map.
     */
    static ApiException toApiException(int status, Throwable failure) {
        if (status == ErrorType.REQUEST_TOO_LARGE.httpStatus()) {
            return ErrorMappers.tooLarge();
        }
        if (failure instanceof DecoderException || status == ErrorType.INVALID_REQUEST.httpStatus()) {
            return ErrorMappers.unreadableBody();
        }
        return ErrorMappers.toApiException(failure == null ? new IllegalStateException("HTTP " + status) : failure);
    }

    private static void reply(RoutingContext context, ApiException e) {
        HttpServerResponse response = context.response();
        if (response.headWritten()) {
            context.request().connection().close();
            return;
        }
        response.setStatusCode(e.type().httpStatus());
        response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        e.headers().forEach(response::putHeader);
        response.putHeader(ErrorMappers.SHOULD_RETRY, Boolean.toString(e.retryable()));
        response.end(ErrorMappers.json(e));
    }

    private static long declaredLength(RoutingContext context) {
        String length = context.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String newId() {
        // Request ids need uniqueness, not secrecy: ThreadLocalRandom avoids SecureRandom's lock on the event loop.
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return "req_" + HexFormat.of().formatHex(b);
    }
}
