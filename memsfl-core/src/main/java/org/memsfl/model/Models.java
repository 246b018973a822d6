package org.memsfl.model;

import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.DType;
import org.memsfl.quant.QuantizedWeight;

/** Builds the family's model class over named weights. */
public final class Models {

    private Models() {
    }

    public static DecoderModel create(ModelConfig config, LayerRange range, Map<String, Tensor> weights, DType compute,
                                      String source) {
        return create(config, range, weights, Map.of(), compute, source);
    }

    /** As above, with layer weights already in a storage form ({@link DecoderModel#quantizeAsRead}). */
    public static DecoderModel create(ModelConfig config, LayerRange range, Map<String, Tensor> weights,
                                      Map<String, QuantizedWeight> layerWeights, DType compute, String source) {
        return config.family() == ModelFamily.LLAMA
                ? new LlamaModel(config, range, weights, layerWeights, compute, source)
                : new Gpt2Model(config, range, weights, layerWeights, compute, source);
    }

    /** Names and shapes the family expects for a model part, in the linear layout. */
    public static Map<String, long[]> shapes(ModelConfig config, LayerRange range) {
        return config.family() == ModelFamily.LLAMA ? LlamaModel.shapes(config, range) : Gpt2Model.shapes(config, range);
    }
}
