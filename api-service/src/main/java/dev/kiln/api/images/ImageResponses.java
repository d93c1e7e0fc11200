package dev.kiln.api.images;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.kiln.api.errors.ApiException;
import dev.kiln.api.jobs.JobViews;
import dev.kiln.api.jobs.JobWaiter;
import dev.kiln.api.storage.ObjectStore;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;

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

    /**
     * Answers for a job that exists: 202 at once for {@code Prefer: respond-async}; else, after waiting,
     * the images or the error the job ended with. If the wait runs out, a client that sent {@code Prefer}
     * gets the job (202); one that did not, i.e. any OpenAI SDK, gets a 504 {@code job_timeout} it raises,
     * never a 202 it would take for a success without images.
     */
    public CompletionStage<Response> respond(String account, String jobId, Submission submission,
            Map<String, String> headers) {
        Prefer prefer = submission.prefer();
        CompletionStage<JobRecord> record = prefer.respondAsync()
                ? waiter.read(account, jobId)
                : waiter.await(account, jobId, prefer.maxWait());
        return record.thenApplyAsync(r -> {
            if (r == null) {
                throw new IllegalStateException("job record " + jobId + " vanished");
            }
            if (prefer.respondAsync()) {
                return accepted(r, headers);
            }
            if (r.status() == JobStatus.SUCCEEDED) {
                Map<String, Object> images = views.images(r, submission.request().responseFormat());
                images.putAll(echo(r.spec(), submission.request()));
                return build(Response.ok(images), headers);
            }
            if (r.status().isTerminal()) {
                throw JobViews.terminalError(r).withHeaders(headers);
            }
            if (prefer.asked()) {
                return accepted(r, headers);
            }
            throw timedOut(jobId, prefer, headers);
        }, store.io());
    }

    private Response accepted(JobRecord r, Map<String, String> headers) {
        return build(Response.status(Response.Status.ACCEPTED).entity(views.job(r))
                .header("Location", location(r.jobId())), headers);
    }

    /** OpenAI's gpt-image responses carry these; clients read the real size here. */
    private static Map<String, Object> echo(JobSpec spec, ImageRequest request) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("size", spec.width() + "x" + spec.height());
        m.put("output_format", spec.outputFormatOrPng().wire());
        m.put("quality", request.quality().wire());
        // SD 1.5 never produces transparency, whatever was asked.
        m.put("background", "opaque");
        return m;
    }

    private static ApiException timedOut(String jobId, Prefer prefer, Map<String, String> headers) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put("Location", location(jobId));
        return new ApiException(ErrorType.GATEWAY_TIMEOUT, "Job " + jobId + " did not finish within "
                + prefer.maxWait().toSeconds() + " s; it is still running and is charged only if it succeeds. Poll GET "
                + location(jobId) + " for its result instead of retrying.", null, ErrorCodes.JOB_TIMEOUT, h, false);
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
