package org.memsfl.train;

import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.data.Batch;
import org.memsfl.engine.NativeScope;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.ForwardContext;

/** Token-weighted held-out loss: the sum of per-token losses over all batches divided by the token count. */
public final class Evaluator {

    private Evaluator() {
    }

    public static EvalResult evaluate(DecoderModel model, AdapterSet adapters, List<Batch> batches) {
        double sum = 0;
        long tokens = 0;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Batch b : batches) {
                try (NativeScope scope = new NativeScope()) {
                    Tensor logits = model.forward(BatchTensors.inputIds(b), ForwardContext.inference(adapters));
                    sum += Loss.crossEntropySum(logits, BatchTensors.targets(b)).item().toDouble();
                    tokens += BatchTensors.countTargets(b);
                }
            }
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("evaluation data has no target tokens");
        }
        double loss = sum / tokens;
        return new EvalResult(loss, Math.exp(loss), tokens);
    }
}
