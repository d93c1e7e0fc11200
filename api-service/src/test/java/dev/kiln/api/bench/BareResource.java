package dev.kiln.api.bench;

import java.util.Map;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.smallrye.common.annotation.Blocking;

/**
 * Test-only baseline for {@link ApiBenchmark}: the same HTTP stack and JSON rendering as a submission,
 * with no Redis, S3 or Kafka behind it. It runs where Quarkus runs a synchronous method by default, on
 * a worker thread; submissions run on the event loop.
 */
@Path("/bench/bare")
public class BareResource {
    @POST
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> bare(byte[] body) {
        return Map.of("id", "bare", "object", "image.job", "status", "queued", "bytes", body.length);
    }
}
