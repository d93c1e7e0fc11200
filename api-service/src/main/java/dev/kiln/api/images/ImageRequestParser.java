package dev.kiln.api.images;

import dev.kiln.common.jobs.SchedulerNames;
import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.jobs.ResponseFormat;
import dev.kiln.api.models.ModelCatalog;
import dev.kiln.common.errors.ErrorCodes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validates the fields of both image endpoints into an {@link ImageRequest}, answering
 * OpenAI-shaped 400s that name the offending {@code param}. Unknown fields are ignored, as
 * OpenAI's own optional fields ({@code quality}, {@code style}, …) have no meaning here.
 */
public final class ImageRequestParser {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    private final ApiConfig.Limits limits;
    private final ModelCatalog catalog;
    private final InputImages images;

    public ImageRequestParser(ApiConfig.Limits limits, ModelCatalog catalog) {
        this.limits = limits;
        this.catalog = catalog;
        this.images = new InputImages(limits.maxImageBytes(), limits.maxImageSidePx());
    }

    /**
     * @param fields         the scalar fields
     * @param imageBytes     the uploaded image file (multipart), or null to read {@code image} as base64
     * @param imageRequired  the edits endpoint requires an image
     * @param fingerprinted  compute {@link ImageRequest#fingerprint()} (only an Idempotency-Key needs it;
     *                       for img2img it hashes the whole image)
     */
    public ImageRequest parse(RequestFields fields, byte[] imageBytes, boolean imageRequired, boolean fingerprinted) {
        if (fields.has("mask")) {
            throw ApiException.invalid("mask", ErrorCodes.UNSUPPORTED_PARAMETER,
                    "'mask' is not supported: SD 1.5 img2img has no inpainting. Send the image without a mask.");
        }
        String prompt = fields.text("prompt").orElseThrow(() -> ApiException.invalid("prompt",
                ErrorCodes.MISSING_REQUIRED, "'prompt' is required."));
        if (prompt.isBlank()) {
            throw ApiException.invalid("prompt", "'prompt' must not be empty.");
        }
        if (prompt.length() > limits.maxPromptChars()) {
            throw ApiException.invalid("prompt", "'prompt' is longer than " + limits.maxPromptChars() + " characters.");
        }
        String negative = fields.text("negative_prompt").orElse(null);
        if (negative != null && negative.length() > limits.maxPromptChars()) {
            throw ApiException.invalid("negative_prompt",
                    "'negative_prompt' is longer than " + limits.maxPromptChars() + " characters.");
        }
        String modelId = fields.text("model").orElse(null);
        String model = catalog.require(modelId, "model").id();

        int n = intField(fields, "n", 1, 1, limits.maxN());
        int[] size = size(fields.text("size").orElse("512x512"));
        ResponseFormat format = fields.text("response_format").map(f -> ResponseFormat.parse(f).orElseThrow(() ->
                ApiException.invalid("response_format", "'response_format' must be 'url' or 'b64_json'.")))
                .orElse(ResponseFormat.URL);
        int steps = intField(fields, "steps", limits.defaultSteps(), limits.minSteps(), limits.maxSteps());
        double guidance = doubleField(fields, "guidance_scale", limits.defaultGuidanceScale(), 0, limits.maxGuidanceScale());
        double strength = doubleField(fields, "strength", limits.defaultStrength(), 0, 1);
        Long seed = fields.text("seed").map(s -> longField("seed", s, 0, 0xFFFF_FFFFL)).orElse(null);
        String scheduler = fields.text("scheduler").map(s -> s.toLowerCase(Locale.ROOT)).orElse(SchedulerNames.DEFAULT);
        if (!SchedulerNames.ALL.contains(scheduler)) {
            throw ApiException.invalid("scheduler", "Unknown scheduler '" + scheduler + "'; use one of "
                    + String.join(", ", SchedulerNames.ALL) + ".");
        }
        String user = fields.text("user").orElse(null);

        byte[] raw = imageBytes;
        if (raw == null) {
            Optional<String> b64 = fields.text("image");
            raw = b64.map(v -> images.fromBase64(v, "image")).orElse(null);
        }
        if (raw == null && imageRequired) {
            throw ApiException.invalid("image", ErrorCodes.MISSING_REQUIRED, "'image' is required.");
        }
        byte[] png = raw == null ? null : images.toPng(raw, "image");

        String fingerprint = !fingerprinted ? null : fingerprint(model, prompt, negative, n, size, format, steps,
                guidance, png == null ? null : strength, seed, scheduler, raw);
        return new ImageRequest(model, prompt, negative, n, size[0], size[1], format, user, png, strength, steps,
                guidance, seed, scheduler, fingerprint);
    }

    private int[] size(String value) {
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw ApiException.invalid("size", "'size' must be WIDTHxHEIGHT, e.g. 512x512.");
        }
        int w = Integer.parseInt(m.group(1));
        int h = Integer.parseInt(m.group(2));
        for (int side : new int[]{w, h}) {
            if (side < limits.minSidePx() || side > limits.maxSidePx() || side % 8 != 0) {
                throw ApiException.invalid("size", "'size' sides must be multiples of 8 between "
                        + limits.minSidePx() + " and " + limits.maxSidePx() + "; got " + value + ".");
            }
        }
        return new int[]{w, h};
    }

    private static int intField(RequestFields f, String name, int dflt, int min, int max) {
        return f.text(name).map(s -> (int) longField(name, s, min, max)).orElse(dflt);
    }

    private static long longField(String name, String s, long min, long max) {
        long v;
        try {
            v = Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, "'" + name + "' must be an integer.");
        }
        if (v < min || v > max) {
            throw ApiException.invalid(name, "'" + name + "' must be between " + min + " and " + max + ".");
        }
        return v;
    }

    private static double doubleField(RequestFields f, String name, double dflt, double min, double max) {
        Optional<String> text = f.text(name);
        if (text.isEmpty()) {
            return dflt;
        }
        double v;
        try {
            v = Double.parseDouble(text.get().trim());
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, "'" + name + "' must be a number.");
        }
        if (!(v >= min && v <= max)) {
            throw ApiException.invalid(name, "'" + name + "' must be between " + min + " and " + max + ".");
        }
        return v;
    }

    private static String fingerprint(Object... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Object p : parts) {
                byte[] bytes = p instanceof byte[] b ? b
                        : p instanceof int[] a ? (a[0] + "x" + a[1]).getBytes(StandardCharsets.UTF_8)
                        : String.valueOf(p).getBytes(StandardCharsets.UTF_8);
                // Length-prefix every part so that field boundaries cannot be shifted.
                sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) ':');
                sha.update(bytes);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
