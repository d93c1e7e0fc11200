package dev.kiln.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;

/**
 * The one command that runs Kiln on a laptop: dev stack + API + worker(s) as separate processes, a funded
 * local account and key, and ready-to-paste examples. Ctrl-C stops everything; nothing outlives this JVM.
 *
 * <pre>
 * mvn -B -q -DskipTests install &amp;&amp; mvn -B -q -pl local-run exec:java
 * </pre>
 *
 * <p>
 * System properties (all optional): {@code kiln.model-dir} (or env {@code KILN_MODEL_DIR}) an SD 1.5 ONNX
 * directory, else the repository's tiny test model; {@code kiln.local.api-port} (8080, a free port if taken);
 * {@code kiln.local.worker-port} (8081); {@code kiln.local.workers} (1); {@code kiln.local.work-dir}
 * (logs and settings, default {@code local-run/target/kiln-local}); {@code kiln.local.top-up-micros}
 * (100000000 = $100).
 */
public final class RunKiln {

    private static final String ACCOUNT_ID = "local";
    private static final SecureRandom RANDOM = new SecureRandom();

    private RunKiln() {
    }

    public static void main(String[] args) throws InterruptedException, IOException {
        Path repoDir = LocalKilnOptions.locateRepoDir();
        Path modelDir = modelDir();
        Path workDir = Path.of(System.getProperty("kiln.local.work-dir",
                repoDir.resolve("local-run/target/kiln-local").toString())).toAbsolutePath();
        String adminToken = "local-admin-" + randomHex(16);
        LocalKilnOptions options = LocalKilnOptions.defaults(repoDir, workDir, modelDir, adminToken,
                "local-pepper-" + randomHex(16))
                .withPorts(Integer.getInteger("kiln.local.api-port", 8080),
                        Integer.getInteger("kiln.local.worker-port", 8081));
        int workerCount = Integer.getInteger("kiln.local.workers", 1);

        if (modelDir == null) {
            loud("NO MODEL DIRECTORY GIVEN: the worker serves the repository's TINY RANDOM-WEIGHT test model.",
                    "Every image will be NOISE. The API, queue, batching, billing and storage are all real.",
                    "For real images: KILN_MODEL_DIR=/path/to/sd15-onnx (diffusers/optimum ONNX export) or",
                    "-Dkiln.model-dir=/path/to/sd15-onnx.");
        }
        System.out.println("Starting Kiln (dev stack, API, " + workerCount + " worker(s)); logs under " + workDir);

        AtomicReference<LocalKiln> running = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LocalKiln kiln = running.get();
            if (kiln != null) {
                System.out.println("Stopping Kiln (workers finish their batch first)...");
                kiln.close();
                System.out.println("Kiln stopped.");
            }
            stopped.countDown();
        }, "kiln-local-shutdown"));

        long startNanos = System.nanoTime();
        LocalKiln kiln = LocalKiln.start(options, workerCount);
        running.set(kiln);
        LocalAccount account = kiln.createAccount(ACCOUNT_ID, Long.getLong("kiln.local.top-up-micros", 100_000_000L));
        long startedMillis = (System.nanoTime() - startNanos) / 1_000_000;

        byte[] inputPng = SampleImage.png(64, 64);
        Path inputFile = workDir.resolve("input.png");
        Files.write(inputFile, inputPng);
        boolean tiny = modelDir == null;
        String size = tiny ? "64x64" : "512x512";
        int steps = tiny ? 4 : 25;

        StringBuilder out = new StringBuilder();
        out.append("\n==== Kiln is running (up in ").append(startedMillis).append(" ms) ====\n");
        out.append("Base URL (OpenAI SDKs): ").append(kiln.openAiBaseUrl()).append('\n');
        out.append("Playground:             ").append(kiln.playgroundUrl())
                .append("  (paste the API key below)\n");
        out.append("API key:                ").append(account.apiKey()).append('\n');
        out.append("Account:                ").append(account.id()).append(" (balance ")
                .append(account.balanceMicros()).append(" micro-dollars, tier ").append(LocalKilnOptions.LOCAL_TIER)
                .append(")\n");
        out.append("Admin API:              ").append(kiln.adminBaseUri()).append("admin/v1  (Authorization: Bearer ")
                .append(adminToken).append(")\n");
        out.append("Swagger UI:             ").append(kiln.api().baseUri()).append("q/swagger-ui\n");
        for (QuarkusApp worker : kiln.workers()) {
            out.append("Worker:                 ").append(worker.name()).append(" pid ").append(worker.pid())
                    .append(", health/metrics ").append(worker.baseUri()).append("q/health, log ")
                    .append(worker.logFile()).append('\n');
        }
        out.append("API log:                ").append(kiln.api().logFile()).append('\n');
        out.append("Model:                  ").append(tiny ? "TINY TEST MODEL (images are noise)" : modelDir)
                .append("\n\n");
        out.append(Snippets.render(kiln.openAiBaseUrl(), account.apiKey(), size, steps, inputFile,
                Base64.getEncoder().encodeToString(SampleImage.png(16, 16))));
        out.append("\nCtrl-C stops everything.\n");
        System.out.println(out);
        if (tiny) {
            loud("REMINDER: TINY RANDOM MODEL - IMAGES ARE NOISE. Set KILN_MODEL_DIR for real SD 1.5.");
        }
        System.out.flush();
        stopped.await();
    }

    private static Path modelDir() {
        String value = System.getProperty("kiln.model-dir");
        if (value == null || value.isBlank()) {
            value = System.getenv("KILN_MODEL_DIR");
        }
        if (value == null || value.isBlank()) {
            return null;
        }
        Path dir = Path.of(value).toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("unet/model.onnx"))) {
            throw new IllegalArgumentException("model directory " + dir + " has no unet/model.onnx; expected the "
                    + "SD 1.5 ONNX export layout (text_encoder/, unet/, vae_encoder/, vae_decoder/, tokenizer/, "
                    + "scheduler/, model_index.json)");
        }
        return dir;
    }

    private static void loud(String... lines) {
        String bar = "!".repeat(100);
        StringBuilder b = new StringBuilder("\n").append(bar).append('\n');
        for (String line : lines) {
            b.append("!!! ").append(line).append('\n');
        }
        b.append(bar).append('\n');
        System.out.println(b);
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
