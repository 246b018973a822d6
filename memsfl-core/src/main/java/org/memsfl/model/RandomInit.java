package org.memsfl.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.DType;
import org.memsfl.engine.Engine;
import org.memsfl.quant.QuantizedWeight;
import org.memsfl.quant.WeightStorage;

/**
 * Random weights in exactly the layout a loaded model has: GPT-2's initialisation (normal, std 0.02; norms at one,
 * biases at zero), each tensor seeded by (seed, name). For scale work where only shapes matter, and for tests on small models.
 */
public final class RandomInit {

    private RandomInit() {
    }

    public static DecoderModel create(ModelConfig config, LayerRange range, DType dtype, long seed) {
        return create(config, range, dtype, seed, null);
    }

    /**
     * As {@link #create(ModelConfig, LayerRange, DType, long)}, each layer's projection weight stored as
     * {@code storage} as soon as it is drawn (null: none), with the values {@code quantizeLayers} would store.
     */
    public static DecoderModel create(ModelConfig config, LayerRange range, DType dtype, long seed,
                                      WeightStorage storage) {
        Engine.init();
        Map<String, Tensor> w = new LinkedHashMap<>();
        Map<String, QuantizedWeight> stored = new LinkedHashMap<>();
        TensorOptions opt = new TensorOptions(dtype.scalarType());
        for (Map.Entry<String, long[]> e : Models.shapes(config, range).entrySet()) {
            String n = e.getKey();
            long[] s = e.getValue();
            Tensor t;
            if (n.contains("norm") || n.contains("ln_")) {
                t = n.endsWith(".bias") ? torch.zeros(s, opt) : torch.ones(s, opt);
            } else if (n.endsWith(".bias")) {
                t = torch.zeros(s, opt);
            } else {
                // seeded per tensor name, so a device or server part has the same values as the whole model
                torch.manual_seed(seed * 1_000_003L + n.hashCode());
                t = torch.randn(s, opt).mul_(new org.bytedeco.pytorch.Scalar(0.02));
            }
            if (DecoderModel.storedAs(storage, dtype, n, s)) {
                String source = "random:" + config.family().name().toLowerCase();
                stored.put(n, DecoderModel.quantizeAsRead(source, n, t, storage, dtype));
                t.close();
            } else {
                w.put(n, t);
            }
        }
        return Models.create(config, range, w, stored, dtype, "random:" + config.family().name().toLowerCase());
    }
}
