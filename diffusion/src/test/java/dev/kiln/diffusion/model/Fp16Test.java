package dev.kiln.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Fp16Test {

    @Test
    void encodesKnownValues() {
        assertThat(Fp16.fromFloat(1.0f)).isEqualTo((short) 0x3c00);
        assertThat(Fp16.fromFloat(-2.0f)).isEqualTo((short) 0xc000);
        assertThat(Fp16.fromFloat(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Fp16.fromFloat(1e6f)).isEqualTo((short) 0x7c00);
        assertThat(Fp16.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001);
    }

    @Test
    void roundsHalfToEven() {
        // 1 + 2^-11 lies exactly between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
        assertThat(Fp16.fromFloat(1f + 0x1p-11f)).isEqualTo((short) 0x3c00);
        assertThat(Fp16.fromFloat(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3c02);
    }

    @Test
    void everyHalfSurvivesARoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short half = (short) bits;
            float value = Fp16.toFloat(half);
            if (Float.isNaN(value)) {
                assertThat(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(value)))).isTrue();
            } else {
                assertThat(Fp16.fromFloat(value)).as("0x%04x", bits).isEqualTo(half);
            }
        }
    }

    @Test
    void decodesSubnormalsAndInfinity() {
        assertThat(Fp16.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(Fp16.toFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
    }
}
