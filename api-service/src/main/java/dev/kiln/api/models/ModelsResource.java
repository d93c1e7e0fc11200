package dev.kiln.api.models;

import dev.kiln.api.auth.ApiKeyAuthenticator;
import dev.kiln.api.auth.Caller;
import dev.kiln.api.errors.ApiException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;
import java.util.Map;

/** {@code GET /v1/models[/{id}]} in OpenAI's list/model shape, plus the Kiln price. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class ModelsResource {
    private final ModelCatalog catalog;
    private final ApiKeyAuthenticator auth;

    public ModelsResource(ModelCatalog catalog, ApiKeyAuthenticator auth) {
        this.catalog = catalog;
        this.auth = auth;
    }

    @GET
    public Response list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        Caller caller = auth.authenticate(authorization);
        List<Map<String, Object>> data = catalog.all().stream().map(ModelsResource::view).toList();
        return withLimits(Response.ok(Map.of("object", "list", "data", data)), caller);
    }

    @GET
    @Path("/{id}")
    public Response get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        Caller caller = auth.authenticate(authorization);
        try {
            return withLimits(Response.ok(view(catalog.require(id, "model"))), caller);
        } catch (ApiException e) {
            throw e.withHeaders(caller.limits().headers());
        }
    }

    private static Map<String, Object> view(ModelCatalog.Model m) {
        return Map.of("id", m.id(), "object", "model", "created", 0, "owned_by", m.ownedBy(),
                "price_micros_per_image", m.priceMicrosPerImage());
    }

    private static Response withLimits(Response.ResponseBuilder b, Caller caller) {
        caller.limits().headers().forEach(b::header);
        return b.build();
    }
}
