package dev.kiln.diffusion.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.BatchSettings;
import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.StepProgress;
import dev.kiln.diffusion.TinyModels;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.tiny.TinyModelGenerator;

/**
 * The step-level executor on the generated tiny model: a request's images equal its solo run through
 * {@link DiffusionPipeline} alone, in a batch, and joining a running batch at any step.
 */
class StepBatchExecutorTest {

    /** Batched ONNX kernels round differently from single-row ones, by ~1e-6 in practice. */
    private static final double TOLERANCE = 1e-4;

    private static DiffusionPipeline pipeline;

    @BeforeAll
    static void open() {
        pipeline = TinyModels.open(TinyModelGenerator.Spec.defaults());
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    private static StepBatchExecutor executor(DiffusionPipeline on, List<Integer> buckets) {
        return on.stepExecutor(new StepBatchOptions(buckets, 1), new PromptEmbeddingCache(1 << 20));
    }

    private static RgbImage gradient(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7);
        }
        return new RgbImage(width, height, rgb);
    }

    /** A mix: every scheduler, guided and unguided, img2img at two strengths, two step counts, n = 2. */
    private static List<StepRequest> mixedRequests() {
        RgbImage image = gradient(40, 24);
        return List.of(
                StepRequest.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 1), 32, 32, 5, 1.0, "pndm"),
                StepRequest.of(GenerationRequest.textToImage("a blue bird", 1.0, 2, 2), 32, 32, 4, 1.0, "euler_a"),
                StepRequest.of(GenerationRequest.textToImage("a cat", 3.0, 1, 3)
                        .withNegativePrompt("blurry").withInitImage(image), 32, 32, 6, 0.7, "dpmpp_2m"),
                StepRequest.of(GenerationRequest.textToImage("a dog", 9.0, 1, 4).withInitImage(image),
                        32, 32, 5, 0.5, "lms"),
                StepRequest.of(GenerationRequest.textToImage("a boat", 5.0, 1, 5), 32, 32, 3, 1.0, "ddim"),
                StepRequest.of(GenerationRequest.textToImage("a tree", 2.0, 1, 6), 32, 32, 4, 1.0, "euler"));
    }

    private static List<GeneratedImage> solo(DiffusionPipeline on, StepRequest request) {
        BatchSettings settings = new BatchSettings(request.width(), request.height(), request.steps(),
                request.strength(), request.scheduler(), request.guided());
        return on.generate(settings, List.of(request.request())).images(0);
    }

    /** Steps until idle, admitting {@code joiners} after {@code joinAfterCalls} calls; images per request. */
    private static Map<StepRequest, List<GeneratedImage>> runAll(StepBatchExecutor executor, List<StepRequest> first,
            List<StepRequest> joiners, int joinAfterCalls) {
        Map<StepRequest, List<GeneratedImage>> images = new IdentityHashMap<>();
        executor.admit(first);
        int calls = 0;
        boolean joined = joiners.isEmpty();
        while (!executor.isIdle() || !joined) {
            if (!joined && calls == joinAfterCalls) {
                executor.admit(joiners);
                joined = true;
            }
            StepCall call = executor.step();
            calls++;
            List<List<GeneratedImage>> decoded = executor.decode(call.finished());
            for (int i = 0; i < decoded.size(); i++) {
                images.put(call.finished().get(i).request(), decoded.get(i));
            }
        }
        return images;
    }

    private static double maxDifference(List<GeneratedImage> a, List<GeneratedImage> b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int k = 0; k < a.get(i).rgb().length; k++) {
                max = Math.max(max, Math.abs(a.get(i).rgb()[k] - b.get(i).rgb()[k]));
            }
        }
        return max;
    }

    @Test
    void requestAloneEqualsItsSoloRun() {
        for (StepRequest request : mixedRequests()) {
            try (StepBatchExecutor executor = executor(pipeline, StepBatchOptions.DEFAULT_ROW_BUCKETS)) {
                List<GeneratedImage> images = runAll(executor, List.of(request), List.of(), 0).get(request);
                assertThat(maxDifference(images, solo(pipeline, request))).as(request.scheduler())
                        .isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void mixedRequestsAdmittedTogetherEachEqualTheirSoloRuns() {
        List<StepRequest> requests = mixedRequests();
        try (StepBatchExecutor executor = executor(pipeline, StepBatchOptions.DEFAULT_ROW_BUCKETS)) {
            Map<StepRequest, List<GeneratedImage>> images = runAll(executor, requests, List.of(), 0);
            for (StepRequest request : requests) {
                assertThat(maxDifference(images.get(request), solo(pipeline, request))).as(request.scheduler())
                        .isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void requestJoiningARunningBatchAtAnyStepEqualsItsSoloRun() {
        List<StepRequest> requests = mixedRequests();
        List<StepRequest> running = List.of(requests.get(0), requests.get(2));
        for (StepRequest joiner : List.of(requests.get(1), requests.get(3))) {
            List<GeneratedImage> expected = solo(pipeline, joiner);
            for (int joinAfter = 0; joinAfter <= 6; joinAfter++) {
                try (StepBatchExecutor executor = executor(pipeline, StepBatchOptions.DEFAULT_ROW_BUCKETS)) {
                    StepRequest fresh = copy(joiner);
                    List<StepRequest> first = running.stream().map(StepBatchExecutorTest::copy).toList();
                    Map<StepRequest, List<GeneratedImage>> images = runAll(executor, first, List.of(fresh), joinAfter);
                    assertThat(maxDifference(images.get(fresh), expected))
                            .as("%s joining after %d calls", joiner.scheduler(), joinAfter)
                            .isLessThanOrEqualTo(TOLERANCE);
                    for (int i = 0; i < first.size(); i++) {
                        assertThat(maxDifference(images.get(first.get(i)), solo(pipeline, running.get(i))))
                                .isLessThanOrEqualTo(TOLERANCE);
                    }
                }
            }
        }
    }

    @Test
    void padsEachCallToItsRowBucketAndTakesTurnsBeyondTheMaximum() {
        List<StepRequest> requests = List.of(
                StepRequest.of(GenerationRequest.textToImage("one", 7.5, 1, 1), 32, 32, 3, 1.0, "euler"),
                StepRequest.of(GenerationRequest.textToImage("two", 7.5, 1, 2), 32, 32, 3, 1.0, "ddim"),
                StepRequest.of(GenerationRequest.textToImage("three", 1.0, 1, 3), 32, 32, 3, 1.0, "lms"));
        try (StepBatchExecutor executor = executor(pipeline, List.of(1, 4))) {
            executor.admit(requests);
            Map<StepRequest, List<GeneratedImage>> images = new IdentityHashMap<>();
            List<StepCall> calls = new ArrayList<>();
            while (!executor.isIdle()) {
                StepCall call = executor.step();
                calls.add(call);
                List<List<GeneratedImage>> decoded = executor.decode(call.finished());
                for (int i = 0; i < decoded.size(); i++) {
                    images.put(call.finished().get(i).request(), decoded.get(i));
                }
            }
            // 5 rows do not fit in 4: the two guided requests (4 rows) and the unguided one (1 row, padded
            // to... 4) alternate, the one left out leading the next call.
            assertThat(calls).allSatisfy(c -> {
                assertThat(c.rows()).isLessThanOrEqualTo(4);
                assertThat(c.bucketRows()).isIn(1, 4);
                assertThat(c.bucketRows()).isGreaterThanOrEqualTo(c.rows());
            });
            assertThat(calls.get(0).rows()).isEqualTo(4);
            assertThat(calls.get(1).requests()).extracting(RunningRequest::request).contains(requests.get(2));
            for (StepRequest request : requests) {
                assertThat(maxDifference(images.get(request), solo(pipeline, request))).isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void requestsOfDifferentSizesNeverShareACall() {
        List<StepRequest> requests = List.of(
                StepRequest.of(GenerationRequest.textToImage("small", 7.5, 1, 1), 32, 32, 3, 1.0, "euler"),
                StepRequest.of(GenerationRequest.textToImage("wide", 7.5, 1, 2), 48, 32, 3, 1.0, "euler"));
        try (StepBatchExecutor executor = executor(pipeline, StepBatchOptions.DEFAULT_ROW_BUCKETS)) {
            executor.admit(requests);
            List<StepCall> calls = new ArrayList<>();
            while (!executor.isIdle()) {
                calls.add(executor.step());
            }
            assertThat(calls).hasSize(6).allSatisfy(c -> assertThat(c.requests()).hasSize(1));
        }
    }

    @Test
    void scalarAndSingleTimestepExportsGroupRowsAtEqualTimesteps() {
        for (TinyModelGenerator.TimestepInput input : List.of(TinyModelGenerator.TimestepInput.SCALAR,
                TinyModelGenerator.TimestepInput.ONE)) {
            try (DiffusionPipeline variant = TinyModels.open(TinyModelGenerator.Spec.defaults().withTimestepInput(input));
                    StepBatchExecutor executor = executor(variant, StepBatchOptions.DEFAULT_ROW_BUCKETS)) {
                assertThat(variant.models().facts().timestepPerRow()).isFalse();
                List<StepRequest> requests = mixedRequests().subList(0, 4);
                executor.admit(requests.subList(0, 2));
                executor.step();
                executor.admit(requests.subList(2, 4));
                Map<StepRequest, List<GeneratedImage>> images = new IdentityHashMap<>();
                while (!executor.isIdle()) {
                    StepCall call = executor.step();
                    List<List<GeneratedImage>> decoded = executor.decode(call.finished());
                    for (int i = 0; i < decoded.size(); i++) {
                        images.put(call.finished().get(i).request(), decoded.get(i));
                    }
                }
                for (StepRequest request : requests) {
                    assertThat(maxDifference(images.get(request), solo(variant, request))).as("%s %s", input,
                            request.scheduler()).isLessThanOrEqualTo(TOLERANCE);
                }
            }
        }
    }

    @Test
    void callsEachRequestsListenerAfterEachOfItsStepsWithOneBasedSteps() {
        List<StepProgress> seen = new ArrayList<>();
        StepRequest img2img = mixedRequests().get(2).withListener(seen::add);
        StepRequest other = mixedRequests().get(0);
        try (StepBatchExecutor executor = executor(pipeline, StepBatchOptions.DEFAULT_ROW_BUCKETS)) {
            runAll(executor, List.of(other), List.of(img2img), 1);
        }
        // 6 steps at strength 0.7: int(6 * 0.7) = 4 steps run.
        assertThat(seen).extracting(StepProgress::step).containsExactly(1, 2, 3, 4);
        assertThat(seen).allSatisfy(p -> {
            assertThat(p.steps()).isEqualTo(4);
            assertThat(p.request()).isSameAs(img2img.request());
            assertThat(p.latents().get()).hasSize(4 * 4 * 4);
        });
    }

    @Test
    void dropsACancelledRequestAtTheNextStepBoundaryAndKeepsTheOthers() {
        AtomicBoolean stop = new AtomicBoolean();
        StepRequest doomed = mixedRequests().get(0).withCancellation(stop::get);
        StepRequest other = mixedRequests().get(5);
        try (StepBatchExecutor executor = executor(pipeline, StepBatchOptions.DEFAULT_ROW_BUCKETS)) {
            executor.admit(List.of(doomed, other));
            executor.step();
            stop.set(true);
            StepCall call = executor.step();
            assertThat(call.cancelled()).extracting(RunningRequest::request).containsExactly(doomed);
            assertThat(call.cancelled().get(0).state()).isEqualTo(RunningRequest.State.CANCELLED);
            assertThat(call.requests()).extracting(RunningRequest::request).containsExactly(other);
        }
    }

    @Test
    void repeatedPromptsAndTheEmptyNegativePromptSkipTheTextEncoder() {
        PromptEmbeddingCache cache = new PromptEmbeddingCache(1 << 20);
        try (StepBatchExecutor executor = pipeline.stepExecutor(StepBatchOptions.defaults(), cache)) {
            executor.admit(List.of(StepRequest.of(GenerationRequest.textToImage("a fox", 7.5, 1, 1), 32, 32, 2, 1.0,
                    "euler")));
            assertThat(cache.hits()).isZero();
            assertThat(cache.misses()).isEqualTo(2);
            executor.admit(List.of(StepRequest.of(GenerationRequest.textToImage("a fox", 7.5, 1, 2), 32, 32, 2, 1.0,
                    "euler"),
                    StepRequest.of(GenerationRequest.textToImage("a hen", 7.5, 1, 3), 32, 32, 2, 1.0,
                            "euler")));
            // Distinct prompts per admission are looked up once: "" and "a fox" hit, "a hen" misses.
            assertThat(cache.hits()).isEqualTo(2);
            assertThat(cache.misses()).isEqualTo(3);
        }
    }

    @Test
    void refusesARequestWithMoreRowsThanTheLargestBucket() {
        try (StepBatchExecutor executor = executor(pipeline, List.of(1, 2))) {
            StepRequest wide = StepRequest.of(GenerationRequest.textToImage("x", 7.5, 2, 1), 32, 32, 2, 1.0, "euler");
            assertThatThrownBy(() -> executor.admit(List.of(wide))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("4 UNet rows");
            assertThat(executor.isIdle()).isTrue();
        }
    }

    private static StepRequest copy(StepRequest r) {
        return new StepRequest(r.request(), r.width(), r.height(), r.steps(), r.strength(), r.scheduler(),
                r.listener(), r.cancelled());
    }
}
