package dev.kiln.tools.bench;

import dev.kiln.diffusion.batch.StepModels;

/** Model calls that keep the benchmark's clock: simulated cost or measured wall time, in milliseconds. */
interface ClockedModels extends StepModels {

    double clockMillis();

    /** Idles until {@code millis} (no-op when the clock is past it). */
    void advanceTo(double millis);

    /** Sets the clock back to {@code millis}: time a call spent that another lane (the decode thread) carries. */
    void rewindTo(double millis);
}
