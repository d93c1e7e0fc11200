package dev.kiln.api.playground;

import java.net.URI;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /playground} → {@code /playground/}, where the page is served as a static resource
 * (META-INF/resources/playground). The trailing slash matters: the page loads its modules by relative
 * URL, which would resolve against {@code /} without it.
 */
@Path("/playground")
public class PlaygroundResource {

    @GET
    public Response page() {
        return Response.status(Response.Status.MOVED_PERMANENTLY).location(URI.create("/playground/")).build();
    }
}
