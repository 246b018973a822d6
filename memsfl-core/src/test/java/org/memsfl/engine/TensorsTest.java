package org.memsfl.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class TensorsTest {

    @Test
    void matmulMatchesJavaLoops() {
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {7, 8, 9, 10, 11, 12};
        Tensor c = Tensors.fromFloats(a, 2, 3).matmul(Tensors.fromFloats(b, 3, 2));
        float[] expected = new float[4];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 3; k++) {
                    expected[i * 2 + j] += a[i * 3 + k] * b[k * 2 + j];
                }
            }
        }
        assertThat(Tensors.toFloats(c)).containsExactly(expected);
        assertThat(Tensors.shape(c)).containsExactly(2, 2);
    }

    @Test
    void threadsFollowDesignSection4() {
        Engine.init();
        assertThat(Engine.torchThreads()).isEqualTo(1);
        assertThat(Engine.blasThreads()).isGreaterThanOrEqualTo(1);
    }
}
