package dev.kiln.api.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.kiln.api.auth.ApiKeyAuthenticator;
import dev.kiln.api.auth.Caller;
import dev.kiln.api.errors.ApiException;
import io.smallrye.common.annotation.Blocking;

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
        List<Map<String, Object>> data = new ArrayList<>();
        catalog.all().forEach(m -> data.add(view(m)));
        catalog.aliases().forEach(a -> data.add(view(a)));
        return withLimits(Response.ok(Map.of("object", "list", "data", data)), caller);
    }

    @GET
    @Path("/{id}")
    public Response get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        Caller caller = auth.authenticate(authorization);
        try {
            ModelCatalog.Resolved resolved = catalog.resolve(id, "model");
            boolean alias = !resolved.requested().equals(resolved.model().id());
            return withLimits(Response.ok(alias ? view(new ModelCatalog.Alias(id, resolved.model()))
                    : view(resolved.model())), caller);
        } catch (ApiException e) {
            throw e.withHeaders(caller.limits().headers());
        }
    }

    private static Map<String, Object> view(ModelCatalog.Model m) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", m.id());
        view.put("object", "model");
        view.put("created", 0);
        view.put("owned_by", m.ownedBy());
        view.put("price_micros_per_image", m.priceMicrosPerImage());
        return view;
    }

    /** An alias is listed under its own id so that clients which check the list find it; {@code alias_of} names the model. */
    private static Map<String, Object> view(ModelCatalog.Alias a) {
        Map<String, Object> m = new LinkedHashMap<>(view(a.model()));
        m.put("id", a.alias());
        m.put("alias_of", a.model().id());
        return m;
    }

    private static Response withLimits(Response.ResponseBuilder b, Caller caller) {
        caller.limits().headers().forEach(b::header);
        return b.build();
    }
}
