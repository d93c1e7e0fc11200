/**
 * Batching facts of the GPU worker that need no service infrastructure: a job's
 * {@link dev.kiln.worker.batching.CompatibilityKey} (the steps its strength implies, whether guidance doubles its
 * rows) and the {@link dev.kiln.worker.batching.StepTimeEstimate} behind deadline-first admission. The step-level
 * executor and the fair admission queue are the diffusion library's ({@code dev.kiln.diffusion.batch}); see
 * {@code docs/batching.md}.
 */
package dev.kiln.worker.batching;
