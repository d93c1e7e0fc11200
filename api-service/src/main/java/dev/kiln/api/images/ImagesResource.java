package dev.kiln.api.images;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Pattern;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.multipart.FormValue;
import org.jboss.resteasy.reactive.server.multipart.MultipartFormDataInput;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.auth.ApiKeyAuthenticator;
import dev.kiln.api.auth.Caller;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.Failures;
import dev.kiln.api.http.HttpFront;
import dev.kiln.api.models.ModelCatalog;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import io.smallrye.common.annotation.Blocking;
import io.vertx.ext.web.RoutingContext;

/**
 * OpenAI's image endpoints. {@code generations} takes JSON (with the {@code image} extension for
 * img2img); {@code edits} takes the multipart form {@code client.images.edit} sends, or JSON with
 * {@code images: [{image_url: "data:..."}]}. Both validate, then hand over to {@link SubmitService}.
 * A body small enough to hold no image is parsed on the event loop; a larger one is parsed only after
 * its key is authenticated, on the bounded {@link DecodePool}, so unauthenticated callers cost no decode.
 */
@Path("/v1/images")
// Event-stream clients (browsers, SDKs) ask for text/event-stream; errors still answer JSON.
@Produces({ MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS })
public class ImagesResource {
    /** Sent by the Stainless-generated OpenAI SDKs on every attempt: 0 first, then 1, 2, ... */
    static final String SDK_RETRY_COUNT = "x-stainless-retry-count";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest body parsed on the event loop and before authentication; prompts alone stay far below it. */
    static final int INLINE_PARSE_BYTES = 64 * 1024;
    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    /** The headers of one submission. */
    private record Call(String authorization, String prefer, Deduplication deduplication, String traceparent,
            String requestId) {
    }

    private final SubmitService submitter;
    private final ApiKeyAuthenticator authenticator;
    private final ModelCatalog catalog;
    private final ImageRequestParser parser;
    private final DecodePool decoder;
    private final int maxImageBytes;

    public ImagesResource(SubmitService submitter, ApiKeyAuthenticator authenticator, ModelCatalog catalog,
            DecodePool decoder, ApiConfig config) {
        this.submitter = submitter;
        this.authenticator = authenticator;
        this.catalog = catalog;
        this.decoder = decoder;
        this.parser = new ImageRequestParser(config.limits(), catalog, config.output().webpEnabled());
        this.maxImageBytes = config.limits().maxImageBytes();
    }

    @POST
    @Path("/generations")
    public CompletionStage<Response> generate(byte[] body,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam("Prefer") String prefer,
            @HeaderParam("Idempotency-Key") String idempotencyKey,
            @HeaderParam(SDK_RETRY_COUNT) String sdkRetryCount,
            @HeaderParam("traceparent") String traceparent,
            @Context RoutingContext routing) {
        Call call = call(authorization, prefer, idempotencyKey, sdkRetryCount, traceparent, routing);
        return accept(body, call, fingerprinted -> parseJson(body, false, fingerprinted));
    }

    /** {@code client.images.edit} with JSON: one image as a data URL in {@code images[0].image_url}. */
    @POST
    @Path("/edits")
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> editJson(byte[] body,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam("Prefer") String prefer,
            @HeaderParam("Idempotency-Key") String idempotencyKey,
            @HeaderParam(SDK_RETRY_COUNT) String sdkRetryCount,
            @HeaderParam("traceparent") String traceparent,
            @Context RoutingContext routing) {
        Call call = call(authorization, prefer, idempotencyKey, sdkRetryCount, traceparent, routing);
        return accept(body, call, fingerprinted -> parseJson(body, true, fingerprinted));
    }

    @POST
    @Path("/edits")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Blocking
    public CompletionStage<Response> edit(MultipartFormDataInput form,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam("Prefer") String prefer,
            @HeaderParam("Idempotency-Key") String idempotencyKey,
            @HeaderParam(SDK_RETRY_COUNT) String sdkRetryCount,
            @HeaderParam("traceparent") String traceparent,
            @Context RoutingContext routing) {
        Call call = call(authorization, prefer, idempotencyKey, sdkRetryCount, traceparent, routing);
        return authenticateThenDecode(call, fingerprinted -> parseForm(form, fingerprinted));
    }

    private static Call call(String authorization, String prefer, String idempotencyKey, String sdkRetryCount,
            String traceparent, RoutingContext routing) {
        return new Call(authorization, prefer, Deduplication.of(idempotencyKey, sdkRetryCount),
                traceparent(traceparent), HttpFront.requestId(routing));
    }

    /**
     * A body that holds no image is parsed here, on the event loop (microseconds); a request refused
     * by validation is then refused as {@link #refuse} says. A larger body waits for authentication.
     * {@code parse} is told whether to fingerprint the request: only de-duplication needs it.
     */
    private CompletionStage<Response> accept(byte[] body, Call call, Function<Boolean, ImageRequest> parse) {
        if (body != null && body.length > INLINE_PARSE_BYTES) {
            return authenticateThenDecode(call, parse);
        }
        ImageRequest request;
        try {
            request = parse.apply(call.deduplication().needsFingerprint());
        } catch (ApiException invalid) {
            return refuse(invalid, call.authorization());
        }
        return submit(request, call);
    }

    /** Authenticates first, then parses and decodes on the decode pool. */
    private CompletionStage<Response> authenticateThenDecode(Call call, Function<Boolean, ImageRequest> parse) {
        return authenticator.authenticateAsync(call.authorization())
                .thenCompose(caller -> decoder.supply(() -> parse.apply(call.deduplication().needsFingerprint()))
                        .handle((request, error) -> {
                            if (error != null) {
                                throw withLimits(error, caller);
                            }
                            return request;
                        })
                        .thenCompose(request -> submit(request, call)));
    }

    private static CompletionException withLimits(Throwable error, Caller caller) {
        Throwable cause = Failures.unwrap(error);
        return new CompletionException(cause instanceof ApiException api
                ? api.withHeaders(caller.limits().headers())
                : cause);
    }

    private CompletionStage<Response> submit(ImageRequest request, Call call) {
        long priceMicros = catalog.require(request.model(), "model").priceMicrosPerImage();
        return submitter.submit(call.authorization(), request, priceMicros, call.prefer(), call.deduplication(),
                call.traceparent(), call.requestId());
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

    private ImageRequest parseJson(byte[] body, boolean edit, boolean fingerprinted) {
        JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.invalid(null, ErrorCodes.INVALID_JSON, "The request body is not valid JSON.");
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, ErrorCodes.INVALID_JSON, "The request body must be a JSON object.");
        }
        if (edit) {
            inlineImageUrl((ObjectNode) root);
        }
        return parser.parse(RequestFields.of(root), null, edit, fingerprinted);
    }

    /**
     * Moves the data URL of a JSON edit's {@code images: [{image_url}]} into {@code image}, where the
     * parser reads base64. Kiln never fetches URLs: anything but a data URL is refused.
     */
    private static void inlineImageUrl(ObjectNode root) {
        JsonNode images = root.remove("images");
        if (images == null || images.isNull()) {
            return;
        }
        if (!images.isArray() || images.isEmpty()) {
            throw ApiException.invalid("images", "'images' must be an array of {\"image_url\": \"data:...\"}.");
        }
        if (images.size() > 1) {
            throw ApiException.invalid("images", ErrorCodes.UNSUPPORTED_PARAMETER,
                    "Only one input image is supported (SD 1.5 img2img takes one).");
        }
        JsonNode url = images.get(0).get("image_url");
        if (url == null || !url.isTextual()) {
            throw ApiException.invalid("images", ErrorCodes.UNSUPPORTED_PARAMETER,
                    "Each image must be {\"image_url\": \"data:image/...;base64,...\"}; file ids are not supported.");
        }
        if (!url.asText().startsWith("data:")) {
            throw ApiException.invalid("images", ErrorCodes.UNSUPPORTED_IMAGE_URL,
                    "Kiln never fetches image URLs; send the image as a data URL (data:image/png;base64,...).");
        }
        root.put("image", url.asText());
    }

    private ImageRequest parseForm(MultipartFormDataInput form, boolean fingerprinted) {
        Map<String, String> fields = new HashMap<>();
        byte[] image = null;
        for (Map.Entry<String, Collection<FormValue>> e : form.getValues().entrySet()) {
            String name = e.getKey();
            if (name == null) {
                throw ApiException.invalid(null, ErrorCodes.INVALID_MULTIPART, "Every form part needs a name.");
            }
            for (FormValue v : e.getValue()) {
                boolean isImage = name.equals("image") || name.equals("image[]");
                if (name.equals("mask") || name.equals("mask[]")) {
                    fields.put("mask", "");
                } else if (isImage && v.isFileItem()) {
                    if (image != null) {
                        throw ApiException.invalid("image", ErrorCodes.UNSUPPORTED_PARAMETER,
                                "Only one input image is supported (SD 1.5 img2img takes one).");
                    }
                    image = read(v, maxImageBytes);
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
                throw ApiException.invalid("image", ErrorCodes.IMAGE_TOO_LARGE,
                        "'image' is larger than " + maxBytes + " bytes.");
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
