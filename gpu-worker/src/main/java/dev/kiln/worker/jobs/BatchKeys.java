package dev.kiln.worker.jobs;

import dev.kiln.common.jobs.JobSpec;
import dev.kiln.diffusion.scheduler.Schedulers;
import dev.kiln.worker.batching.CompatibilityKey;

/** The batching key of a job spec, and the checks that a spec can run at all. */
public final class BatchKeys {
    private BatchKeys() {
    }

    /**
     * @throws IllegalArgumentException when the spec cannot run at all (bad size, steps, strength,
     *         scheduler, n): the job is failed, not retried
     */
    public static CompatibilityKey of(JobSpec spec) {
        if (spec.n() < 1) {
            throw new IllegalArgumentException("n must be at least 1, was " + spec.n());
        }
        if (spec.width() < 8 || spec.height() < 8 || spec.width() % 8 != 0 || spec.height() % 8 != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of 8, was "
                    + spec.width() + "x" + spec.height());
        }
        if (spec.scheduler() == null || !Schedulers.NAMES.contains(spec.scheduler())) {
            throw new IllegalArgumentException("unknown scheduler '" + spec.scheduler() + "'; known: " + Schedulers.NAMES);
        }
        double strength = spec.isImg2Img() ? spec.strength() : 1.0;
        if (!(strength > 0.0 && strength <= 1.0)) {
            throw new IllegalArgumentException("strength must be in (0, 1], was " + strength);
        }
        CompatibilityKey.Mode mode = spec.isImg2Img()
                ? CompatibilityKey.Mode.IMAGE_TO_IMAGE
                : CompatibilityKey.Mode.TEXT_TO_IMAGE;
        CompatibilityKey key = CompatibilityKey.of(spec.model(), mode, spec.width(), spec.height(), spec.steps(),
                strength, spec.scheduler(), spec.guidanceScale());
        if (key.executedSteps() < 1) {
            throw new IllegalArgumentException("strength " + strength + " at " + spec.steps()
                    + " steps runs no denoising step");
        }
        return key;
    }
}
