package dev.kiln.diffusion.scheduler;

/**
 * A diffusion noise scheduler as diffusers configures it from {@code scheduler_config.json}.
 *
 * <p>
 * A scheduler is a stateless factory of {@link SchedulerRun}s: each run holds the per-run state
 * (PNDM's history of model outputs, LMS derivatives, DPM-Solver's previous output), so one
 * scheduler instance can serve concurrent batches.
 */
public interface Scheduler {

    /** The name Kiln's API uses for this scheduler, e.g. {@code pndm}, {@code euler_a}. */
    String name();

    /**
     * Starts a run of {@code steps} inference steps. {@code strength} is 1.0 for text-to-image;
     * below 1.0 the run skips the first steps exactly as diffusers' img2img {@code get_timesteps}.
     */
    SchedulerRun start(int steps, double strength);
}
