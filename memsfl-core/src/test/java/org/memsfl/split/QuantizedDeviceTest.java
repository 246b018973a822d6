package org.memsfl.split;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.memsfl.data.Batch;
import org.memsfl.engine.DType;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraGradientTestSupport;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.quant.WeightStorage;
import org.memsfl.train.AdamW;

/**
 * A device whose layers are stored quantized trains with layer recomputation ({@link DeviceRecompute}); its gradients
 * must be those of the plain autograd path on the same quantized model (which keeps every dequantized weight alive),
 * with LoRA dropout and an embedding adapter, and the dropout generator must end where the plain path leaves it.
 * Tolerance 1e-6 relative (float32): the same ops on the same values, bit-identical on this machine; the headroom
 * only allows another BLAS blocking. The storage really shrinks: the model's layer bytes are checked.
 */
class QuantizedDeviceTest {

    @ParameterizedTest(name = "{0} cut {1}")
    @CsvSource({"int8, 3", "nf4, 2", "bf16, 1", "nf4, 0"})
    void recomputedStepEqualsThePlainPath(String storage, int cut) {
        WeightStorage ws = WeightStorage.parse(storage);
        try (DecoderModel model = Llama2cLoader.load(Assets.stories260K(), LayerRange.deviceSegment(cut), DType.F32)) {
            long fp32Layers = model.bytesByPart().get("layers");
            model.quantizeLayers(ws);
            assertThat(model.hasQuantizedLayers()).isEqualTo(cut > 0);
            if (cut > 0) {
                assertThat(model.bytesByPart().get("layers")).isLessThan(fp32Layers * (ws == WeightStorage.BF16 ? 6 : 4) / 10);
            }
            LoraConfig lora = new LoraConfig(4, 8, 0.1, List.of("q", "v", "down", "embed"));
            AdapterSet base = LoraGradientTestSupport.randomised(
                    AdapterSet.init(model.config(), lora, LayerRange.deviceSegment(cut), 1), 2);
            Batch batch = batch(model.config().vocabSize());
            Map<String, double[]> plain = step(model, base, cut, batch, false);
            Map<String, double[]> recomputed = step(model, base, cut, batch, true);
            assertThat(recomputed.keySet()).isEqualTo(plain.keySet());
            for (String k : plain.keySet()) {
                double[] a = recomputed.get(k);
                double[] b = plain.get(k);
                double scale = 1e-12;
                for (double v : b) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int i = 0; i < b.length; i++) {
                    assertThat(Math.abs(a[i] - b[i])).as("%s[%d]", k, i).isLessThanOrEqualTo(1e-6 * scale);
                }
            }
        }
    }

    /** One step with a fixed gradient from the "server"; gradients of the device adapters, the next dropout draw. */
    static Map<String, double[]> step(DecoderModel model, AdapterSet base, int cut, Batch batch, boolean recompute) {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (NativeScope scope = new NativeScope()) {
            AdapterSet a = base.copy();
            DeviceSegment d = new DeviceSegment("d0", cut, model, a, AdamW.Settings.defaults());
            d.beginRound(7, 1);
            Generator g = torch.createCPUGenerator(5);
            Tensor fixed = torch.randn(new long[] {batch.batchSize(), batch.seqLen(), model.config().dim()},
                    new GeneratorOptional(g), Tensors.options(DType.F32.scalarType()));
            double[] sent = new double[1];
            // lr 0: the optimizer steps but leaves the adapters as they are; the gradients stay readable
            d.localStep(batch, p -> {
                sent[0] = Tensors.toDoubles(p.hidden())[3];
                return new GradientPayload(fixed.clone(), 1.0, 1);
            }, 0.0, 0.0, recompute);
            out.put("sent[3]", sent);
            a.namedParameters().forEach((k, v) -> out.put(k + ".grad", Tensors.toDoubles(v.grad())));
            // where the generator was left: the next mask it draws
            out.put("next mask", Tensors.toDoubles(torch.bernoulli(torch.ones(64), 0.5, new GeneratorOptional(
                    d.rng()))));
        }
        return out;
    }

    static Batch batch(int vocab) {
        SplittableRandom r = new SplittableRandom(3);
        int b = 2;
        int t = 16;
        long[] ids = new long[b * t];
        long[] targets = new long[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(vocab);
            targets[i] = i % t < 4 ? -100 : r.nextInt(vocab);
        }
        return new Batch(ids, targets, new int[] {t, t}, b, t);
    }
}
