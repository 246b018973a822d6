package org.memsfl.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.ServerProfile;
import org.memsfl.lora.LoraConfig;
import org.memsfl.model.ModelConfig;
import org.memsfl.model.ModelPresets;
import org.memsfl.schedule.DeviceTiming;

/**
 * tiny-llama: V=64, d=16, 3 layers, 4 heads, 2 kv heads (kv dim 8), hidden 24. B=1, T=4, LoRA r=2 on q.
 * Per token, one block's frozen matmuls are d*d (q) + 2*d*kv (k, v) + d*d (o) + 3*d*h (MLP) = 256+256+256+1152 = 1920
 * multiply-adds, so 2*4*1920 = 15360 FLOPs for 4 tokens; attention 4*B*T^2*d = 1024; the q adapter 2*4*2*(16+16)
 * = 512. Forward per block 16896; backward 15360 + 2*1024 + 2*512 = 18432; LM head 2*4*16*64 = 8192.
 */
class DelayModelTest {

    private static final ModelConfig TINY = ModelPresets.get("tiny-llama");
    private final DelayModel dm = new DelayModel(TINY, new LoraConfig(2, 4, 0.0, List.of("q")), 1, 4, 4);
    private final DeviceProfile dev = new DeviceProfile("d", 1L << 30, 1000, 100, 200, 0.5);
    private final ServerProfile srv = new ServerProfile(10_000, 1L << 30);

    @Test
    void stepSecondsByHand() {
        DeviceTiming t = dm.step(dev, srv, 1);
        assertThat(t.forward()).isCloseTo(16896 / 1000.0, within(1e-12));
        // activation 4 tokens * 16 * 4 bytes = 256, labels and mask 4 * 8 = 32: 288 bytes at 100 B/s, plus 0.5 s
        assertThat(t.uplink()).isCloseTo(2.88 + 0.5, within(1e-12));
        // two blocks forward and backward, head forward and its input gradient
        assertThat(t.server()).isCloseTo((2 * (16896 + 18432) + 2 * 8192) / 10_000.0, within(1e-12));
        assertThat(t.downlink()).isCloseTo(256 / 200.0 + 0.5, within(1e-12));
        assertThat(t.backward()).isCloseTo(18432 / 1000.0, within(1e-12));
        assertThat(t.release()).isCloseTo(16.896 + 3.38, within(1e-9));
        assertThat(t.tail()).isCloseTo(1.78 + 18.432, within(1e-9));
    }

    /** Recomputing the server's two blocks runs their forward twice (not the head's); nothing else changes. */
    @Test
    void serverRecomputeAddsOneForwardOfTheServerBlocks() {
        DeviceTiming plain = dm.step(dev, srv, 1);
        DeviceTiming rc = dm.step(dev, srv, 1, true);
        assertThat(rc.server()).isCloseTo((2 * 2 * 16896 + 2 * 18432 + 2 * 8192) / 10_000.0, within(1e-12));
        assertThat(rc.server() - plain.server()).isCloseTo(2 * 16896 / 10_000.0, within(1e-12));
        assertThat(dm.step(dev, srv, 1, false)).isEqualTo(plain);
        assertThat(rc.release()).isEqualTo(plain.release());
        assertThat(rc.tail()).isEqualTo(plain.tail());
    }

    @Test
    void deeperCutMovesWorkToTheDevice() {
        DeviceTiming one = dm.step(dev, srv, 1);
        DeviceTiming two = dm.step(dev, srv, 2);
        assertThat(two.forward()).isCloseTo(2 * one.forward(), within(1e-9));
        assertThat(two.server()).isLessThan(one.server());
        assertThat(two.uplink()).isEqualTo(one.uplink());
        assertThatThrownBy(() -> dm.step(dev, srv, 3)).hasMessage("cut must be in [1, 2], got 3");
    }

    @Test
    void adapterExchangeBytes() {
        // the q adapter of one layer: 2 * (16 + 16) = 64 float32 values
        assertThat(dm.adapterBytes(1)).isEqualTo(256);
        assertThat(dm.adapterBytes(2)).isEqualTo(512);
        assertThat(dm.adapterUploadSeconds(dev, 2)).isCloseTo(512 / 100.0 + 0.5, within(1e-12));
        assertThat(dm.adapterDownloadSeconds(dev, 2)).isCloseTo(512 / 200.0 + 0.5, within(1e-12));
        // fp16 on the wire halves the hidden-state payload, not the labels
        DelayModel half = new DelayModel(TINY, dm.lora(), 1, 4, 2);
        assertThat(half.activationPayloadBytes()).isEqualTo(128 + 32);
        assertThat(half.gradientPayloadBytes()).isEqualTo(128);
    }

    @Test
    void timingsRejectNegativeSeconds() {
        assertThatThrownBy(() -> new DeviceTiming(1, -1, 1, 1, 1)).hasMessageContaining("uplink time");
    }
}
