package org.memsfl.split;

import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.train.AdamW;

/**
 * What the server keeps for one device: where its layers start, the model part it runs them on, and the
 * server-side adapters with their optimizer. Under memsfl every state shares one frozen model; under SFL-V1 each
 * holds its own copy of layers [cut, N); under SplitLoRA all devices share one state.
 *
 * @param cut       first server-side layer
 * @param model     frozen model holding layers [cut, N), the final norm and the head
 * @param adapters  server-side LoRA over layers [cut, N)
 * @param optimizer AdamW over {@code adapters}
 */
public record ServerState(int cut, DecoderModel model, AdapterSet adapters, AdamW optimizer) {

    public ServerState {
        if (cut < 0 || cut > model.config().nLayers()) {
            throw new IllegalArgumentException("cut must be in [0, " + model.config().nLayers() + "], got " + cut);
        }
    }
}
