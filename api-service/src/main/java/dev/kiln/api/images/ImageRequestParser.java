package dev.kiln.api.images;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.jobs.ResponseFormat;
import dev.kiln.api.models.ModelCatalog;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.common.jobs.SchedulerNames;

/**
 * Validates the fields of both image endpoints into an {@link ImageRequest}, answering
 * OpenAI-shaped 400s that name the offending {@code param}. OpenAI's fields are mapped as
 * docs/api.md tabulates; {@code moderation}, {@code style} and {@code user} are accepted and have
 * no effect; other unknown fields are ignored. {@code stream} changes only how the answer is sent, so it is
 * not part of the fingerprint: a retry that streams where the first attempt did not is the same request.
 */
public final class ImageRequestParser {
    /** OpenAI's sizes, accepted even above the maximum side: scaled down to the same aspect. */
    private static final Set<String> OPENAI_SIZES = Set.of("256x256", "512x512", "1024x1024", "1536x1024",
            "1024x1536", "1792x1024", "1024x1792");
    private static final String AUTO = "auto";
    private static final int TEXT_TO_IMAGE_AUTO_SIDE = 512;
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    private final ApiConfig.Limits limits;
    private final ModelCatalog catalog;
    private final InputImages images;
    private final boolean webpOutput;

    public ImageRequestParser(ApiConfig.Limits limits, ModelCatalog catalog, boolean webpOutput) {
        this.limits = limits;
        this.catalog = catalog;
        this.images = new InputImages(limits.maxImageBytes(), limits.maxImageSidePx());
        this.webpOutput = webpOutput;
    }

    /**
     * @param fields the scalar fields
     * @param imageBytes the uploaded image file (multipart), or null to read {@code image} as base64
     * @param imageRequired the edits endpoint (which requires an image)
     * @param fingerprinted compute {@link ImageRequest#fingerprint()} (only de-duplication needs it;
     *        for img2img it hashes the whole image)
     */
    public ImageRequest parse(RequestFields fields, byte[] imageBytes, boolean imageRequired, boolean fingerprinted) {
        if (fields.has("mask")) {
            throw ApiException.invalid("mask", ErrorCodes.UNSUPPORTED_PARAMETER,
                    "'mask' is not supported: SD 1.5 img2img has no inpainting. Send the image without a mask.");
        }
        String background = fields.text("background").map(b -> b.toLowerCase(Locale.ROOT)).orElse(AUTO);
        if (background.equals("transparent")) {
            throw ApiException.invalid("background", ErrorCodes.UNSUPPORTED_PARAMETER,
                    "'background: transparent' is not supported: SD 1.5 produces opaque images.");
        }
        if (!background.equals(AUTO) && !background.equals("opaque")) {
            throw ApiException.invalid("background", "'background' must be 'auto', 'opaque' or 'transparent'.");
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
        ModelCatalog.Resolved model = catalog.resolve(fields.text("model").orElse(null), "model");

        int n = intField(fields, "n", 1, 1, limits.maxN());
        ResponseFormat format = fields.text("response_format")
                .map(f -> ResponseFormat.parse(f).orElseThrow(
                        () -> ApiException.invalid("response_format", "'response_format' must be 'url' or 'b64_json'.")))
                .orElse(model.isGptImageAlias() ? ResponseFormat.B64_JSON : ResponseFormat.URL);
        OutputFormat outputFormat = outputFormat(fields);
        Integer compression = fields.text("output_compression")
                .map(c -> (int) longField("output_compression", c, 0, 100)).orElse(null);
        Quality quality = fields.text("quality").map(q -> Quality.parse(q).orElseThrow(
                () -> ApiException.invalid("quality", "'quality' must be one of low, medium, high, auto, standard, hd.")))
                .orElse(Quality.AUTO);
        int steps = intField(fields, "steps", quality.steps(limits), limits.minSteps(), limits.maxSteps());
        double guidance = doubleField(fields, "guidance_scale", limits.defaultGuidanceScale(), 0, limits.maxGuidanceScale());
        double strength = doubleField(fields, "strength", limits.defaultStrength(), 0, 1);
        Long seed = fields.text("seed").map(s -> longField("seed", s, 0, 0xFFFF_FFFFL)).orElse(null);
        String scheduler = fields.text("scheduler").map(s -> s.toLowerCase(Locale.ROOT)).orElse(SchedulerNames.DEFAULT);
        if (!SchedulerNames.ALL.contains(scheduler)) {
            throw ApiException.invalid("scheduler", "Unknown scheduler '" + scheduler + "'; use one of "
                    + String.join(", ", SchedulerNames.ALL) + ".");
        }
        String user = fields.text("user").orElse(null);
        boolean stream = fields.flag("stream").orElse(false);
        int partialImages = intField(fields, "partial_images", 0, 0, JobSpec.MAX_PARTIAL_IMAGES);

        byte[] raw = imageBytes;
        if (raw == null) {
            Optional<String> b64 = fields.text("image");
            raw = b64.map(v -> images.fromBase64(v, "image")).orElse(null);
        }
        if (raw == null && imageRequired) {
            throw ApiException.invalid("image", ErrorCodes.MISSING_REQUIRED, "'image' is required.");
        }
        InputImages.Decoded input = raw == null ? null : images.decode(raw, "image");
        int[] size = size(fields.text("size").orElse("512x512"), input);

        // partial_images joins the fingerprint only when asked for, so that earlier requests keep their fingerprints.
        String fingerprint = !fingerprinted ? null
                : partialImages == 0
                        ? fingerprint(model.model().id(), prompt, negative, n, size, format.wire(), steps, guidance,
                                input == null ? null : strength, seed, scheduler, outputFormat.wire(), compression, raw)
                        : fingerprint(model.model().id(), prompt, negative, n, size, format.wire(), steps, guidance,
                                input == null ? null : strength, seed, scheduler, outputFormat.wire(), compression, raw,
                                "partial_images=" + partialImages);
        return new ImageRequest(model.model().id(), prompt, negative, n, size[0], size[1], format, user,
                input == null ? null : input.png(), strength, steps, guidance, seed, scheduler, outputFormat,
                outputFormat == OutputFormat.PNG ? null : compression, quality, fingerprint, stream, partialImages,
                imageRequired);
    }

    private OutputFormat outputFormat(RequestFields fields) {
        OutputFormat f = fields.text("output_format")
                .map(v -> OutputFormat.parse(v).orElseThrow(
                        () -> ApiException.invalid("output_format", "'output_format' must be 'png', 'jpeg' or 'webp'.")))
                .orElse(OutputFormat.PNG);
        if (f == OutputFormat.WEBP && !webpOutput) {
            throw ApiException.invalid("output_format", ErrorCodes.UNSUPPORTED_PARAMETER,
                    "'output_format: webp' is not supported by this deployment; use 'png' or 'jpeg'.");
        }
        return f;
    }

    private int[] size(String value, InputImages.Decoded input) {
        if (value.equals(AUTO)) {
            return input == null ? new int[] { TEXT_TO_IMAGE_AUTO_SIDE, TEXT_TO_IMAGE_AUTO_SIDE }
                    : fit(input.width(), input.height());
        }
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw ApiException.invalid("size", "'size' must be WIDTHxHEIGHT (e.g. 512x512) or 'auto'.");
        }
        int w = Integer.parseInt(m.group(1));
        int h = Integer.parseInt(m.group(2));
        if (OPENAI_SIZES.contains(value) && Math.max(w, h) > limits.maxSidePx()) {
            return fit(w, h);
        }
        for (int side : new int[] { w, h }) {
            if (side < limits.minSidePx() || side > limits.maxSidePx() || side % 8 != 0) {
                throw ApiException.invalid("size", "'size' sides must be multiples of 8 between "
                        + limits.minSidePx() + " and " + limits.maxSidePx() + "; got " + value + ".");
            }
        }
        return new int[] { w, h };
    }

    /** The same aspect with the longest side at most the maximum, both sides multiples of 8 within the limits. */
    private int[] fit(int width, int height) {
        double scale = Math.min(1.0, (double) limits.maxSidePx() / Math.max(width, height));
        return new int[] { side(width * scale), side(height * scale) };
    }

    private int side(double px) {
        int rounded = (int) Math.floor(px / 8) * 8;
        return Math.max(limits.minSidePx(), Math.min(limits.maxSidePx(), rounded));
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
