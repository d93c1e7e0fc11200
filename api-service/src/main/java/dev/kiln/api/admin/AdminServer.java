package dev.kiln.api.admin;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.ErrorBody;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The admin API's own HTTP server on {@code kiln.api.admin.port}, apart from the public port, so that
 * the deployment can give it a Service of its own that no Ingress routes to and a NetworkPolicy that
 * admits only operators. Quarkus' management interface cannot host application endpoints, hence a
 * plain Vert.x server and router on Quarkus' Vert.x instance. Handlers run on worker threads (the
 * admin operations block on Redis); errors are the same OpenAI-shaped JSON as on the public port.
 */
@ApplicationScoped
public class AdminServer {
    private static final Logger LOG = Logger.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Admin bodies are small JSON objects. */
    private static final long MAX_BODY_BYTES = 64 * 1024;
    private static final String ACCOUNT = "/admin/v1/accounts/:id";

    private final Vertx vertx;
    private final AdminApi admin;
    private final int configuredPort;
    private volatile HttpServer server;

    public AdminServer(Vertx vertx, AdminApi admin, ApiConfig config) {
        this.vertx = vertx;
        this.admin = admin;
        this.configuredPort = config.admin().port();
    }

    void onStart(@Observes StartupEvent event) throws Exception {
        server = vertx.createHttpServer().requestHandler(router()).listen(configuredPort, "0.0.0.0")
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        LOG.infof("admin API listening on port %d", server.actualPort());
    }

    void onStop(@Observes ShutdownEvent event) throws Exception {
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** The port the admin API listens on (the configured one, or the one chosen for port 0). */
    public int port() {
        return server.actualPort();
    }

    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        route(router, HttpMethod.POST, "/admin/v1/accounts", rc -> admin.create(auth(rc), body(rc)));
        route(router, HttpMethod.GET, ACCOUNT, rc -> AdminReply.ok(admin.get(auth(rc), id(rc))));
        route(router, HttpMethod.PUT, ACCOUNT + "/credit-limit",
                rc -> AdminReply.ok(admin.setCreditLimit(auth(rc), id(rc), body(rc))));
        route(router, HttpMethod.POST, ACCOUNT + "/keys", rc -> admin.issueKey(auth(rc), id(rc), body(rc)));
        route(router, HttpMethod.GET, ACCOUNT + "/keys", rc -> AdminReply.ok(admin.keys(auth(rc), id(rc))));
        route(router, HttpMethod.DELETE, ACCOUNT + "/keys/:keyId",
                rc -> AdminReply.ok(admin.revokeKey(auth(rc), id(rc), rc.pathParam("keyId"))));
        route(router, HttpMethod.POST, ACCOUNT + "/top-ups", rc -> admin.topUp(auth(rc), id(rc), body(rc)));
        route(router, HttpMethod.GET, ACCOUNT + "/ledger",
                rc -> AdminReply.ok(admin.ledger(auth(rc), id(rc), query(rc, "after"), query(rc, "limit"))));
        route(router, HttpMethod.GET, ACCOUNT + "/usage",
                rc -> AdminReply.ok(admin.usage(auth(rc), id(rc), query(rc, "after"), query(rc, "limit"))));
        router.route().handler(rc -> error(rc, new ApiException(ErrorType.NOT_FOUND, "Unknown path.", null,
                ErrorCodes.NOT_FOUND)));
        router.route().failureHandler(rc -> error(rc, rc.statusCode() == 413
                ? ApiException.invalid(null, ErrorCodes.INVALID_JSON, "The request body is too large.")
                : internal(rc.failure())));
        return router;
    }

    private void route(Router router, HttpMethod method, String path, Function<RoutingContext, AdminReply> operation) {
        router.route(method, path).blockingHandler(rc -> {
            try {
                AdminReply reply = operation.apply(rc);
                reply.headers().forEach(rc.response()::putHeader);
                send(rc, reply.status(), reply.body());
            } catch (ApiException e) {
                error(rc, e);
            } catch (RuntimeException e) {
                error(rc, internal(e));
            }
        }, false);
    }

    private static ApiException internal(Throwable cause) {
        LOG.error("admin request failed", cause);
        return new ApiException(ErrorType.SERVER, "The server had an error processing your request.", null,
                ErrorCodes.INTERNAL);
    }

    private static void error(RoutingContext rc, ApiException e) {
        e.headers().forEach(rc.response()::putHeader);
        send(rc, e.type().httpStatus(), ErrorBody.of(e));
    }

    private static void send(RoutingContext rc, int status, Object body) {
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            status = 500;
            json = "{\"error\":{\"message\":\"The server had an error processing your request.\",\"type\":\"server_error\","
                    + "\"param\":null,\"code\":\"internal_error\"}}";
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json);
    }

    private static String auth(RoutingContext rc) {
        return rc.request().getHeader(HttpHeaders.AUTHORIZATION);
    }

    private static String id(RoutingContext rc) {
        return rc.pathParam("id");
    }

    private static String query(RoutingContext rc, String name) {
        return rc.request().getParam(name);
    }

    private static byte[] body(RoutingContext rc) {
        return rc.body() == null || rc.body().buffer() == null ? new byte[0] : rc.body().buffer().getBytes();
    }
}
