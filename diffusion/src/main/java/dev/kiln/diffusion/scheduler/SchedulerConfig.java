package dev.kiln.diffusion.scheduler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The fields of a diffusers {@code scheduler_config.json} that Kiln's schedulers read.
 *
 * <p>
 * diffusers' {@code from_config} hands every key of the file to whichever scheduler class is
 * built, and each class fills in its own defaults for the keys that are absent. So a field that
 * SD 1.5's file does not carry (e.g. {@code timestep_spacing}) is {@code null} here and each
 * scheduler applies the default its diffusers 0.21.4 class would.
 *
 * @param numTrainTimesteps {@code num_train_timesteps} (diffusers default 1000)
 * @param betaStart {@code beta_start} (default 0.0001)
 * @param betaEnd {@code beta_end} (default 0.02)
 * @param betaSchedule {@code beta_schedule}: {@code linear} or {@code scaled_linear} (default {@code linear})
 * @param trainedBetas {@code trained_betas}, or {@code null}
 * @param setAlphaToOne {@code set_alpha_to_one} for PNDM/DDIM's final step, or {@code null} for the class default
 * @param skipPrkSteps {@code skip_prk_steps} (PNDM; Kiln supports only {@code true}, SD 1.5's value)
 * @param stepsOffset {@code steps_offset} (default 0)
 * @param clipSample {@code clip_sample} (DDIM), or {@code null} for the class default
 * @param predictionType {@code prediction_type}, or {@code null} for {@code epsilon}
 * @param timestepSpacing {@code timestep_spacing}, or {@code null} for the class default
 */
public record SchedulerConfig(
        int numTrainTimesteps,
        double betaStart,
        double betaEnd,
        String betaSchedule,
        double[] trainedBetas,
        Boolean setAlphaToOne,
        boolean skipPrkSteps,
        int stepsOffset,
        Boolean clipSample,
        String predictionType,
        String timestepSpacing) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public SchedulerConfig {
        if (numTrainTimesteps < 1) {
            throw new IllegalArgumentException("num_train_timesteps must be positive, got " + numTrainTimesteps);
        }
        if (trainedBetas != null && trainedBetas.length != numTrainTimesteps) {
            throw new IllegalArgumentException("trained_betas has " + trainedBetas.length
                    + " values for " + numTrainTimesteps + " train timesteps");
        }
        if (predictionType != null && !predictionType.equals("epsilon")) {
            // SD 1.5 predicts noise; v-prediction/sample models would need other step formulas.
            throw new IllegalArgumentException("unsupported prediction_type " + predictionType
                    + " (Kiln's schedulers implement epsilon prediction only)");
        }
    }

    /** SD 1.5's {@code scheduler/scheduler_config.json} (PNDM, scaled-linear betas). */
    public static SchedulerConfig stableDiffusion15() {
        return new SchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", null, false, true, 1, false,
                null, null);
    }

    /** Reads a diffusers {@code scheduler_config.json}; absent keys take diffusers' defaults. */
    public static SchedulerConfig read(Path file) {
        try {
            return fromJson(JSON.readTree(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read scheduler config " + file, e);
        }
    }

    /** Parses the JSON object of a {@code scheduler_config.json}. */
    public static SchedulerConfig fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("scheduler config must be a JSON object");
        }
        double[] trainedBetas = null;
        JsonNode betas = root.get("trained_betas");
        if (betas != null && !betas.isNull()) {
            trainedBetas = new double[betas.size()];
            for (int i = 0; i < trainedBetas.length; i++) {
                trainedBetas[i] = betas.get(i).asDouble();
            }
        }
        return new SchedulerConfig(
                root.path("num_train_timesteps").asInt(1000),
                root.path("beta_start").asDouble(0.0001),
                root.path("beta_end").asDouble(0.02),
                root.path("beta_schedule").asText("linear"),
                trainedBetas,
                optionalBoolean(root, "set_alpha_to_one"),
                root.path("skip_prk_steps").asBoolean(false),
                root.path("steps_offset").asInt(0),
                optionalBoolean(root, "clip_sample"),
                optionalText(root, "prediction_type"),
                optionalText(root, "timestep_spacing"));
    }

    private static Boolean optionalBoolean(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node == null || node.isNull() ? null : node.asBoolean();
    }

    private static String optionalText(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
