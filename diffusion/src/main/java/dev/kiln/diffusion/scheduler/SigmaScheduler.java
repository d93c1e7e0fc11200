package dev.kiln.diffusion.scheduler;

/**
 * The schedulers that work in sigma parameterisation on diffusers' "linspace" grid (Euler, Euler
 * ancestral, LMS): they differ only in their step and in whether NumPy built the grid in float32.
 */
abstract class SigmaScheduler implements Scheduler {

    private final String name;
    private final NoiseSchedule schedule;
    private final boolean float32Timesteps;

    SigmaScheduler(SchedulerConfig config, String name, boolean float32Timesteps) {
        SigmaGrid.checkSpacing(config, name);
        this.name = name;
        this.schedule = NoiseSchedule.of(config);
        this.float32Timesteps = float32Timesteps;
    }

    @Override
    public final String name() {
        return name;
    }

    final SigmaGrid grid(int steps) {
        return new SigmaGrid(schedule, steps, float32Timesteps);
    }
}
