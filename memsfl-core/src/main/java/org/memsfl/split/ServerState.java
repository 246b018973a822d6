package org.memsfl.split;

import org.bytedeco.pytorch.Generator;
import org.memsfl.engine.Rng;
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
 * @param rng       the generator this device's server-side adapter dropout draws from
 */
public record ServerState(int cut, DecoderModel model, AdapterSet adapters, AdamW optimizer, Generator rng) {

    /** A state with its own generator (seeded by {@link #beginRound}). */
    public ServerState(int cut, DecoderModel model, AdapterSet adapters, AdamW optimizer) {
        this(cut, model, adapters, optimizer, Rng.generator(0));
    }

    public ServerState {
        if (cut < 0 || cut > model.config().nLayers()) {
            throw new IllegalArgumentException("cut must be in [0, " + model.config().nLayers() + "], got " + cut);
        }
    }

    /** Reseeds the generator for {@code round} of device {@code deviceId} in a run seeded {@code runSeed}. */
    public void beginRound(long runSeed, String deviceId, int round) {
        rng.set_current_seed(Rng.seed(runSeed, "server/" + deviceId, round));
    }
}
