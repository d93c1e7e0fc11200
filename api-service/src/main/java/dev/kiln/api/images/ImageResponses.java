package dev.kiln.api.images;

import dev.kiln.api.jobs.JobViews;
import dev.kiln.api.jobs.JobWaiter;
import dev.kiln.api.jobs.ResponseFormat;
import dev.kiln.api.storage.ObjectStore;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The answers to a job that exists: 202 with the job object, or (after waiting) the images or the
 * error the job ended with. Failures are left to the stage; the error map renders them.
 */
@ApplicationScoped
public class ImageResponses {
    private final JobWaiter waiter;
    private final JobViews views;
    private final ObjectStore store;

    public ImageResponses(JobWaiter waiter, JobViews views, ObjectStore store) {
        this.waiter = waiter;
        this.views = views;
        this.store = store;
    }

    /** 202 for a job this instance just queued, built from its spec (no second Redis round trip). */
    public Response queued(JobSpec spec, Map<String, String> headers) {
        return build(Response.status(Response.Status.ACCEPTED).entity(views.queued(spec))
                .header("Location", location(spec.jobId())), headers);
    }

    /** Answers for a job that exists: 202 at once, or after waiting, the images (or the job if the wait ran out). */
    public CompletionStage<Response> respond(String account, String jobId, Prefer prefer, ResponseFormat format,
                                             Map<String, String> headers) {
        CompletionStage<JobRecord> record = prefer.respondAsync()
                ? waiter.read(account, jobId)
                : waiter.await(account, jobId, prefer.maxWait());
        return record.thenApplyAsync(r -> {
            if (r == null) {
                throw new IllegalStateException("job record " + jobId + " vanished");
            }
            if (r.status() == JobStatus.SUCCEEDED && !prefer.respondAsync()) {
                return build(Response.ok(views.images(r, format)), headers);
            }
            if (r.status().isTerminal() && !prefer.respondAsync()) {
                throw JobViews.terminalError(r).withHeaders(headers);
            }
            return build(Response.status(Response.Status.ACCEPTED).entity(views.job(r))
                    .header("Location", location(jobId)), headers);
        }, store.io());
    }

    static String location(String jobId) {
        return "/v1/images/jobs/" + jobId;
    }

    private static Response build(Response.ResponseBuilder b, Map<String, String> headers) {
        headers.forEach(b::header);
        return b.type(MediaType.APPLICATION_JSON).build();
    }

    static CompletionStage<Response> completed(Response response) {
        return CompletableFuture.completedFuture(response);
    }
}
