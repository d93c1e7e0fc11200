package dev.kiln.api.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.ApiConfig;
import dev.kiln.api.auth.ApiKeyAuthenticator;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.Failures;
import dev.kiln.api.models.ModelCatalog;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.multipart.FormValue;
import org.jboss.resteasy.reactive.server.multipart.MultipartFormDataInput;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * OpenAI's image endpoints. {@code generations} takes JSON (with the {@code image} extension for
 * img2img); {@code edits} takes the multipart form {@code client.images.edit} sends. Both validate,
 * then hand over to {@link SubmitService}. {@code generations} runs on the event loop (large bodies
 * are parsed on a worker thread); {@code edits} reads multipart files and so runs on a worker thread.
 */
@Path("/v1/images")
@Produces(MediaType.APPLICATION_JSON)
public class ImagesResource {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest body parsed on the event loop; prompts alone stay far below it, any input image exceeds it. */
    static final int INLINE_PARSE_BYTES = 64 * 1024;
    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    private final SubmitService submitter;
    private final ApiKeyAuthenticator authenticator;
    private final ModelCatalog catalog;
    private final ImageRequestParser parser;
    private final int maxImageBytes;

    public ImagesResource(SubmitService submitter, ApiKeyAuthenticator authenticator, ModelCatalog catalog,
                          ApiConfig config) {
        this.submitter = submitter;
        this.authenticator = authenticator;
        this.catalog = catalog;
        this.parser = new ImageRequestParser(config.limits(), catalog);
        this.maxImageBytes = config.limits().maxImageBytes();
    }

    /**
     * Runs on the event loop: a text-to-image body is a few hundred bytes, parsing it costs
     * microseconds and everything after is non-blocking. A body larger than
     * {@link #INLINE_PARSE_BYTES} carries an image, whose decoding is CPU-heavy; it moves to a worker
     * thread so it never stalls the event loop.
     */
    @POST
    @Path("/generations")
    public CompletionStage<Response> generate(byte[] body,
                                              @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                              @HeaderParam("Prefer") String prefer,
                                              @HeaderParam("Idempotency-Key") String idempotencyKey,
                                              @HeaderParam("traceparent") String traceparent) {
        if (body != null && body.length > INLINE_PARSE_BYTES) {
            return CompletableFuture.supplyAsync(() -> generateNow(body, authorization, prefer, idempotencyKey, traceparent),
                            Infrastructure.getDefaultWorkerPool())
                    .thenCompose(stage -> stage);
        }
        return generateNow(body, authorization, prefer, idempotencyKey, traceparent);
    }

    private CompletionStage<Response> generateNow(byte[] body, String authorization, String prefer,
                                                  String idempotencyKey, String traceparent) {
        return submit(fingerprinted -> parseJson(body, fingerprinted), authorization, prefer, idempotencyKey,
                traceparent);
    }

    /**
     * Parses and prices the request, then submits it; a request that fails here is refused. {@code parse}
     * is told whether to fingerprint the request: only an Idempotency-Key needs it.
     */
    private CompletionStage<Response> submit(Function<Boolean, ImageRequest> parse, String authorization,
                                             String prefer, String idempotencyKey, String traceparent) {
        Deduplication dedup = Deduplication.of(idempotencyKey, null);
        ImageRequest request;
        long priceMicros;
        try {
            request = parse.apply(dedup.needsFingerprint());
            priceMicros = catalog.require(request.model(), "model").priceMicrosPerImage();
        } catch (ApiException invalid) {
            return refuse(invalid, authorization);
        }
        return submitter.submit(authorization, request, priceMicros, prefer, dedup, traceparent(traceparent), null);
    }

    private ImageRequest parseJson(byte[] body, boolean fingerprinted) {
        JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.invalid(null, ErrorCodes.INVALID_JSON, "The request body is not valid JSON.");
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, ErrorCodes.INVALID_JSON, "The request body must be a JSON object.");
        }
        return parser.parse(RequestFields.of(root), null, false, fingerprinted);
    }

    /**
     * The answer to a submission that failed validation: 401 if its key is bad (OpenAI checks the key
     * before the body), else the validation error. The key check is a Redis call on this error path
     * only; a valid submission still authenticates inside its single submit-script round trip. If Redis
     * cannot tell, the validation error stands: the request is wrong whatever the key.
     */
    private CompletionStage<Response> refuse(ApiException invalid, String authorization) {
        return authenticator.authenticateAsync(authorization).handle((caller, error) -> {
            Throwable cause = Failures.unwrap(error);
            if (cause instanceof ApiException api && api.type() == ErrorType.AUTHENTICATION) {
                throw api;
            }
            throw caller == null ? invalid : invalid.withHeaders(caller.limits().headers());
        });
    }

    @POST
    @Path("/edits")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Blocking
    public CompletionStage<Response> edit(MultipartFormDataInput form,
                                          @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                          @HeaderParam("Prefer") String prefer,
                                          @HeaderParam("Idempotency-Key") String idempotencyKey,
                                          @HeaderParam("traceparent") String traceparent) {
        return submit(fingerprinted -> parseForm(form, fingerprinted), authorization, prefer, idempotencyKey,
                traceparent);
    }

    private ImageRequest parseForm(MultipartFormDataInput form, boolean fingerprinted) {
        Map<String, String> fields = new HashMap<>();
        byte[] image = null;
        int maxBytes = maxImageBytes;
        for (Map.Entry<String, Collection<FormValue>> e : form.getValues().entrySet()) {
            String name = e.getKey();
            for (FormValue v : e.getValue()) {
                boolean isImage = name.equals("image") || name.equals("image[]");
                if (name.equals("mask") || name.equals("mask[]")) {
                    fields.put("mask", "");
                } else if (isImage && v.isFileItem()) {
                    if (image != null) {
                        throw ApiException.invalid("image", ErrorCodes.UNSUPPORTED_PARAMETER,
                                "Only one input image is supported.");
                    }
                    image = read(v, maxBytes);
                } else if (!v.isFileItem()) {
                    fields.put(name, v.getValue());
                }
            }
        }
        fields.remove("image");
        return parser.parse(RequestFields.of(fields), image, true, fingerprinted);
    }

    private static byte[] read(FormValue v, int maxBytes) {
        try {
            if (v.getFileItem().getFileSize() > maxBytes) {
                throw ApiException.invalid("image", ErrorCodes.IMAGE_TOO_LARGE, "'image' is larger than " + maxBytes + " bytes.");
            }
            try (InputStream in = v.getFileItem().getInputStream()) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw ApiException.invalid("image", ErrorCodes.INVALID_IMAGE, "'image' could not be read.");
        }
    }

    /** W3C trace context: the caller's, or a fresh sampled one so workers can correlate logs. */
    private static String traceparent(String incoming) {
        if (incoming != null && TRACEPARENT.matcher(incoming).matches()) {
            return incoming;
        }
        // Trace ids need uniqueness, not secrecy: ThreadLocalRandom avoids SecureRandom's lock on the event loop.
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        ThreadLocalRandom.current().nextBytes(trace);
        ThreadLocalRandom.current().nextBytes(span);
        return "00-" + HexFormat.of().formatHex(trace) + "-" + HexFormat.of().formatHex(span) + "-01";
    }
}
