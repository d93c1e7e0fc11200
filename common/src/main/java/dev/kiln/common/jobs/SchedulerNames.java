package dev.kiln.common.jobs;

import java.util.List;

/**
 * The scheduler names of the job contract: what the API accepts in {@code scheduler} and a {@link JobSpec}
 * carries. The worker's diffusion library implements each (a worker test holds the two lists equal).
 */
public final class SchedulerNames {

    /** SD 1.5's own scheduler, used when a request names none. */
    public static final String DEFAULT = "pndm";

    /** Every accepted name, the default first. */
    public static final List<String> ALL = List.of(DEFAULT, "ddim", "euler", "euler_a", "dpmpp_2m", "lms");

    private SchedulerNames() {
    }
}
