package dev.kiln.api.jobs;

import java.time.Duration;
import java.util.Map;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.auth.ApiKeyAuthenticator;
import dev.kiln.api.auth.Caller;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.redis.RedisCalls;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.jobs.ProgressChannel;
import dev.kiln.common.jobs.ProgressEvent;
import dev.kiln.common.jobs.SettleResult;
import dev.kiln.common.redis.RedisKeys;
import io.smallrye.common.annotation.Blocking;

/**
 * Polling and cancelling: {@code GET|DELETE /v1/images/jobs/{id}}. Jobs are looked up under the
 * caller's own account, so another account's job is simply not found (404).
 */
@Path("/v1/images/jobs/{id}")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class JobsResource {
    private final ApiKeyAuthenticator auth;
    private final JobWaiter jobs;
    private final ApiRedis redis;
    private final JobViews views;
    private final Duration timeout;

    public JobsResource(ApiKeyAuthenticator auth, JobWaiter jobs, ApiRedis redis, JobViews views, ApiConfig config) {
        this.auth = auth;
        this.jobs = jobs;
        this.redis = redis;
        this.views = views;
        this.timeout = config.redis().timeout();
    }

    /**
     * The job object, with {@code progress: {step, steps}} while it runs (the worker's latest report);
     * {@code ?response_format=b64_json} returns a succeeded job's images inline instead of as URLs.
     */
    @GET
    public Response get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
            @QueryParam("response_format") @DefaultValue("url") String responseFormat) {
        Caller caller = auth.authenticate(authorization);
        ResponseFormat format = ResponseFormat.parse(responseFormat)
                .orElseThrow(() -> ApiException.invalid("response_format", "'response_format' must be 'url' or 'b64_json'.")
                        .withHeaders(caller.limits().headers()));
        JobRecord r = find(caller, id);
        Map<String, Object> job = views.job(r, format);
        if (r.status() == JobStatus.RUNNING) {
            ProgressEvent latest = RedisCalls.await(ProgressChannel.latest(redis.commands(), caller.accountId(), id),
                    timeout);
            if (latest != null) {
                job.put("progress", JobViews.progress(latest));
            }
        }
        return ok(Response.ok(job), caller);
    }

    /**
     * Cancels a queued job and refunds it (200 with the canceled job). Cancelling a canceled job
     * answers the same; a running or otherwise finished job answers 409 job_not_cancelable.
     */
    @DELETE
    public Response cancel(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        Caller caller = auth.authenticate(authorization);
        find(caller, id);
        SettleResult result = RedisCalls.await(redis.completer().cancel(caller.accountId(), id), timeout);
        // The refund the answer reports must survive a failover to the replica.
        RedisCalls.await(redis.replicaWait().afterWrites(), timeout);
        if (result.outcome() == SettleResult.Outcome.MISSING) {
            throw notFound(id).withHeaders(caller.limits().headers());
        }
        boolean canceled = result.outcome() == SettleResult.Outcome.SETTLED || result.status() == JobStatus.CANCELED;
        if (!canceled) {
            throw new ApiException(ErrorType.CONFLICT, "Job " + id + " is " + result.status().wire()
                    + " and can no longer be canceled.", null, ErrorCodes.JOB_NOT_CANCELABLE)
                    .withHeaders(caller.limits().headers());
        }
        return ok(Response.ok(views.job(find(caller, id))), caller);
    }

    private JobRecord find(Caller caller, String id) {
        if (!RedisKeys.isValidJobId(id)) {
            throw notFound(id).withHeaders(caller.limits().headers());
        }
        JobRecord r = RedisCalls.await(jobs.read(caller.accountId(), id), timeout);
        if (r == null) {
            throw notFound(id).withHeaders(caller.limits().headers());
        }
        return r;
    }

    private static ApiException notFound(String id) {
        return new ApiException(ErrorType.NOT_FOUND, "No job with id '" + id + "'.", null, ErrorCodes.NOT_FOUND);
    }

    private static Response ok(Response.ResponseBuilder b, Caller caller) {
        caller.limits().headers().forEach(b::header);
        return b.build();
    }
}
