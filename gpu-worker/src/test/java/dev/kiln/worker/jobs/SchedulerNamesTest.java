package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.kiln.common.jobs.SchedulerNames;
import dev.kiln.diffusion.scheduler.Schedulers;

class SchedulerNamesTest {

    @Test
    void theLibraryRunsExactlyTheSchedulersTheJobContractNames() {
        assertThat(Schedulers.NAMES).containsExactlyElementsOf(SchedulerNames.ALL);
    }
}
