package dev.kiln.worker.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.StepProgress;

class JobStepListenerTest {
    private static final long MS = 1_000_000L;

    private final GenerationRequest first = GenerationRequest.textToImage("fox", 7.5, 1, 1);
    private final GenerationRequest second = GenerationRequest.textToImage("fox", 7.5, 1, 2);
    private final AtomicLong nanos = new AtomicLong();
    private final List<ProgressTask> sent = new ArrayList<>();

    private JobStepListener listener(int partialImages) {
        Map<GenerationRequest, ReportedJob> jobs = new IdentityHashMap<>();
        jobs.put(first, new ReportedJob("acct", "img_1", partialImages, 64, 48));
        return new JobStepListener(jobs, 100 * MS, nanos::get, () -> 5L, sent::add);
    }

    private static StepProgress step(GenerationRequest request, int step, int steps) {
        return new StepProgress(request, step, steps, 6, 8, () -> new float[4 * 6 * 8]);
    }

    private List<Integer> sentSteps() {
        return sent.stream().map(t -> t instanceof ProgressTask.Step s ? s.step() : ((ProgressTask.Preview) t).step())
                .toList();
    }

    @Test
    void sendsTheFirstStepAndThenAtMostOnePerInterval() {
        JobStepListener listener = listener(0);
        for (int s = 1; s <= 5; s++) {
            listener.onStep(step(first, s, 10));
            nanos.addAndGet(40 * MS);
        }
        // Steps at 0, 40, 80, 120, 160 ms: the first, then the first 100 ms or more after it.
        assertThat(sentSteps()).containsExactly(1, 4);
    }

    @Test
    void alwaysSendsTheLastStep() {
        JobStepListener listener = listener(0);
        listener.onStep(step(first, 1, 2));
        listener.onStep(step(first, 2, 2));
        assertThat(sentSteps()).containsExactly(1, 2);
    }

    @Test
    void reportsOnlyEachJobsFirstImage() {
        JobStepListener listener = listener(0);
        listener.onStep(step(second, 1, 10));
        assertThat(sent).isEmpty();
    }

    @Test
    void sendsPreviewsAtTheirStepsWithTheLatentsAndTheJobsSize() {
        JobStepListener listener = listener(1);
        for (int s = 1; s <= 4; s++) {
            listener.onStep(step(first, s, 4));
        }
        List<ProgressTask.Preview> previews = sent.stream().filter(ProgressTask.Preview.class::isInstance)
                .map(ProgressTask.Preview.class::cast).toList();
        assertThat(previews).hasSize(1);
        ProgressTask.Preview preview = previews.get(0);
        assertThat(preview.step()).isEqualTo(2);
        assertThat(preview.index()).isZero();
        assertThat(preview.latents()).hasSize(4 * 6 * 8);
        assertThat(preview.outputWidth()).isEqualTo(64);
        assertThat(preview.jobId()).isEqualTo("img_1");
    }

    @Test
    void aFailingLatentCopyStillReportsTheStepAndDoesNotThrow() {
        JobStepListener listener = listener(1);
        listener.onStep(new StepProgress(first, 1, 2, 6, 8, () -> {
            throw new IllegalStateException("no latents");
        }));
        assertThat(sent).singleElement().isInstanceOf(ProgressTask.Step.class);
    }
}
