package dev.kiln.devstack;

import java.util.Locale;

/** How the stack's services run; chosen with {@code -Dkiln.stack}. */
public enum Flavour {
    /** Child processes on this machine (the default): Kafka's own broker, redis-server, s3proxy. */
    PROCESSES,
    /** Docker containers through Testcontainers: apache/kafka, redis, minio. */
    CONTAINERS;

    /** The system property that selects the flavour: {@code processes} (default) or {@code containers}. */
    public static final String SWITCH = "kiln.stack";

    /** Parses the switch's value; blank means {@link #PROCESSES}. */
    public static Flavour fromSwitch(String value) {
        if (value == null || value.isBlank() || value.startsWith("${")) {
            return PROCESSES;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "processes":
            case "process":
            case "local":
                return PROCESSES;
            case "containers":
            case "testcontainers":
                return CONTAINERS;
            default:
                throw new IllegalArgumentException("-D" + SWITCH + "=" + value
                        + " is not a dev-stack flavour; use 'processes' (default) or 'containers'");
        }
    }
}
