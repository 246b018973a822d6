package org.memsfl.split;

import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.pytorch.Generator;
import org.memsfl.engine.Rng;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.DropoutKey;
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
 * @param dropoutRound seed of the round's base-model dropout keys ({@link DropoutKey#forStep}), the device's own
 */
public record ServerState(int cut, DecoderModel model, AdapterSet adapters, AdamW optimizer, Generator rng,
                          AtomicLong dropoutRound) {

    /** A state with its own generator (seeded by {@link #beginRound}). */
    public ServerState(int cut, DecoderModel model, AdapterSet adapters, AdamW optimizer) {
        this(cut, model, adapters, optimizer, Rng.generator(0));
    }

    /** A state whose adapter dropout draws from {@code rng}. */
    public ServerState(int cut, DecoderModel model, AdapterSet adapters, AdamW optimizer, Generator rng) {
        this(cut, model, adapters, optimizer, rng, new AtomicLong(Rng.seed(0, DropoutKey.STREAM, 0)));
    }

    public ServerState {
        if (cut < 0 || cut > model.config().nLayers()) {
            throw new IllegalArgumentException("cut must be in [0, " + model.config().nLayers() + "], got " + cut);
        }
    }

    /** Reseeds the generator for {@code round} of device {@code deviceId} in a run seeded {@code runSeed}. */
    public void beginRound(long runSeed, String deviceId, int round) {
        rng.set_current_seed(Rng.seed(runSeed, "server/" + deviceId, round));
        dropoutRound.set(Rng.seed(runSeed, DropoutKey.STREAM, round));
    }
}
