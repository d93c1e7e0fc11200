package dev.kiln.api.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopUpFeeTest {
    @Test
    void feeIsFivePercentRoundedUpAndCreditedIsTheRest() {
        assertThat(TopUpFee.of(1_000_000, 500)).isEqualTo(new TopUpFee(1_000_000, 50_000, 950_000));
        assertThat(TopUpFee.of(21, 500)).isEqualTo(new TopUpFee(21, 2, 19));
        assertThat(TopUpFee.of(1, 500)).isEqualTo(new TopUpFee(1, 1, 0));
    }

    @Test
    void feeAndCreditAlwaysAddUpToTheGross() {
        for (long gross = 1; gross < 5_000; gross += 7) {
            TopUpFee f = TopUpFee.of(gross, 500);
            assertThat(f.feeMicros() + f.creditedMicros()).isEqualTo(gross);
        }
    }

    @Test
    void refusesNonPositiveAmounts() {
        assertThatThrownBy(() -> TopUpFee.of(0, 500)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void acceptsFeesFromZeroToOneHundredPercent() {
        assertThat(TopUpFee.of(1_000, 0)).isEqualTo(new TopUpFee(1_000, 0, 1_000));
        assertThat(TopUpFee.of(1_000, 10_000)).isEqualTo(new TopUpFee(1_000, 1_000, 0));
    }

    @Test
    void refusesAFeeAboveOneHundredPercentThatWouldCreditANegativeAmount() {
        assertThatThrownBy(() -> TopUpFee.requireValidBasisPoints(10_001))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kiln.api.top-up-fee-basis-points");
        assertThatThrownBy(() -> TopUpFee.of(1_000, 10_001)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesANegativeFee() {
        assertThatThrownBy(() -> TopUpFee.requireValidBasisPoints(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
