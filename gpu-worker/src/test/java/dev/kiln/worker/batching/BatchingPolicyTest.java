package dev.kiln.worker.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BatchingPolicyTest {

    @Test
    void defaultsAreEightImagesFiftyMillisAndSixtyFourJobs() {
        assertThat(BatchingPolicy.DEFAULTS).isEqualTo(new BatchingPolicy(8, 50, 64));
    }

    @Test
    void rejectsBatchOfZeroImages() {
        assertThatThrownBy(() -> new BatchingPolicy(0, 50, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBatchImages");
    }

    @Test
    void rejectsNegativeWait() {
        assertThatThrownBy(() -> new BatchingPolicy(8, -1, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWaitMillis");
    }

    @Test
    void rejectsWaitLongerThanAnHour() {
        assertThatThrownBy(() -> new BatchingPolicy(8, 3_600_001, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWaitMillis");
    }

    @Test
    void rejectsQueueOfZeroJobs() {
        assertThatThrownBy(() -> new BatchingPolicy(8, 50, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxQueuedJobs");
    }

    @Test
    void acceptsZeroWaitAsDispatchImmediately() {
        assertThat(new BatchingPolicy(1, 0, 1).maxWaitMillis()).isZero();
    }
}
