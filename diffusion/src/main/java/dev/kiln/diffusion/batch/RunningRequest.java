package dev.kiln.diffusion.batch;

import dev.kiln.diffusion.StepProgress;
import dev.kiln.diffusion.noise.NoiseSource;
import dev.kiln.diffusion.scheduler.SchedulerRun;

/**
 * A request inside the {@link StepBatchExecutor}, from its admission (text and VAE encoded, latents
 * initialised) to its last step. The caller keeps it to match finished and cancelled requests to its own
 * jobs. State is touched only by the executor's thread.
 */
public final class RunningRequest {

    /** Where a request is. */
    public enum State {
        RUNNING,
        FINISHED,
        CANCELLED,
        FAILED
    }

    private final StepRequest request;
    private final long sequence;
    private final SchedulerRun run;
    private final float[] timesteps;
    private final NoiseSource noise;
    private final int latentHeight;
    private final int latentWidth;
    /** [n (uncond) + n (cond), seq, hidden] with guidance, [n, seq, hidden] without. */
    private final float[] hiddenRows;
    private float[] latents;
    private int stepsDone;
    private long lastCall = -1;
    private State state = State.RUNNING;

    RunningRequest(StepRequest request, long sequence, SchedulerRun run, NoiseSource noise, int latentHeight,
            int latentWidth, float[] hiddenRows, float[] latents) {
        this.request = request;
        this.sequence = sequence;
        this.run = run;
        double[] t = run.timesteps();
        this.timesteps = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            timesteps[i] = (float) t[i];
        }
        this.noise = noise;
        this.latentHeight = latentHeight;
        this.latentWidth = latentWidth;
        this.hiddenRows = hiddenRows;
        this.latents = latents;
    }

    public StepRequest request() {
        return request;
    }

    public State state() {
        return state;
    }

    /** Steps done so far. */
    public int stepsDone() {
        return stepsDone;
    }

    /** Steps this request runs in all (after strength; PNDM's repeated timestep counts). */
    public int steps() {
        return timesteps.length;
    }

    public int rows() {
        return request.rows();
    }

    public int latentHeight() {
        return latentHeight;
    }

    public int latentWidth() {
        return latentWidth;
    }

    long sequence() {
        return sequence;
    }

    long lastCall() {
        return lastCall;
    }

    SchedulerRun run() {
        return run;
    }

    NoiseSource noise() {
        return noise;
    }

    float[] hiddenRows() {
        return hiddenRows;
    }

    float[] latents() {
        return latents;
    }

    /** The timestep of the next step, as the UNet gets it. */
    float nextTimestep() {
        return timesteps[stepsDone];
    }

    void stepped(float[] next, long call) {
        latents = next;
        stepsDone++;
        lastCall = call;
        if (stepsDone == timesteps.length) {
            state = State.FINISHED;
        }
    }

    void cancel() {
        state = State.CANCELLED;
    }

    void fail() {
        state = State.FAILED;
    }

    void notifyListener() {
        float[] snapshot = latents;
        request.listener().onStep(new StepProgress(request.request(), stepsDone, timesteps.length, latentHeight,
                latentWidth, snapshot::clone));
    }

    @Override
    public String toString() {
        return "request #" + sequence + " (" + stepsDone + "/" + timesteps.length + " steps, " + state + ")";
    }
}
