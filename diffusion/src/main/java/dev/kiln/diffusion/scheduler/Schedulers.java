package dev.kiln.diffusion.scheduler;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Builds a {@link Scheduler} by its Kiln name from a diffusers {@code scheduler_config.json}, as
 * diffusers' {@code <Class>.from_config(config)} would: the file's values plus each class's own
 * defaults (e.g. its timestep spacing).
 */
public final class Schedulers {

    private static final Map<String, Function<SchedulerConfig, Scheduler>> FACTORIES = Map.of(
            "pndm", PndmScheduler::new,
            "ddim", DdimScheduler::new,
            "euler", EulerScheduler::new,
            "euler_a", EulerAncestralScheduler::new,
            "dpmpp_2m", DpmSolverMultistepScheduler::new,
            "lms", LmsScheduler::new);

    /** Valid names, SD 1.5's default ({@code pndm}) first. */
    public static final List<String> NAMES = List.of("pndm", "ddim", "euler", "euler_a", "dpmpp_2m", "lms");

    private Schedulers() {
    }

    /**
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones) or a
     *         config this scheduler does not support
     */
    public static Scheduler create(String name, SchedulerConfig config) {
        Function<SchedulerConfig, Scheduler> factory = name == null ? null : FACTORIES.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown scheduler '" + name + "'; valid: " + String.join(", ", NAMES));
        }
        return factory.apply(config);
    }
}
