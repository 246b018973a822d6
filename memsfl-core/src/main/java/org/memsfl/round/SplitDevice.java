package org.memsfl.round;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.settings.RoundSettings;
import org.memsfl.data.Batch;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.DecoderModel;
import org.memsfl.split.ActivationPayload;
import org.memsfl.split.DeviceSegment;
import org.memsfl.split.GradientPayload;
import org.memsfl.train.AdamW;
import org.memsfl.train.LrSchedule;
import org.memsfl.train.StepResult;

/**
 * The device side of a split federated round, driven in process by the simulator and over gRPC by a device process:
 * round begin (the round's adapters, the dropout stream reseeded from (seed, device, round)), local steps through
 * {@link DeviceSegment#localStep} at the schedule's rate, and a snapshot to redo a round the server lost.
 */
public final class SplitDevice implements AutoCloseable {

    private final RoundSettings s;
    private final LrSchedule schedule;
    private final DeviceSegment segment;

    /**
     * @param segmentModel the frozen model part holding the embedding and at least layers [0, cut)
     * @param start        the device-side adapters it starts with (layers [0, cut)); the device owns them from now
     */
    public SplitDevice(String id, int cut, DecoderModel segmentModel, AdapterSet start, RoundSettings s) {
        this.s = s;
        this.schedule = s.schedule();
        this.segment = new DeviceSegment(id, cut, segmentModel, start, AdamW.Settings.defaults());
    }

    /**
     * Opens round {@code r} with the adapters the server handed out for it (copied in unless they are the device's
     * own live set) and reseeds the dropout stream, so a redone round draws the same masks.
     */
    public void beginRound(int r, AdapterSet adapters) {
        if (adapters != segment.adapters()) {
            segment.adapters().assign(adapters);
        }
        segment.beginRound(s.seed(), r);
    }

    /** One local step; {@code server} turns the cut activations into the gradient at the cut. */
    public StepResult localStep(Batch b, Function<ActivationPayload, GradientPayload> server) {
        return segment.localStep(b, server, schedule.at(segment.optimizer().steps() + 1), s.maxGradNorm());
    }

    /** The live device-side adapters (what the device uploads). */
    public AdapterSet adapters() {
        return segment.adapters();
    }

    public String id() {
        return segment.id();
    }

    public int cut() {
        return segment.cut();
    }

    /** What redoing a round needs on this side: the optimizer's moments and step count (a copy). */
    public Snapshot snapshot() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        segment.optimizer().state().forEach((k, t) -> m.put(k, t.detach().clone()));
        return new Snapshot(segment.optimizer().steps(), m);
    }

    /** Puts the optimizer back to a snapshot (the adapters come with the round's {@link #beginRound}). */
    public void restore(Snapshot snap) {
        segment.optimizer().loadState(snap.moments(), snap.optimizerSteps());
    }

    /** The optimizer's state at a round's start. */
    public record Snapshot(long optimizerSteps, Map<String, Tensor> moments) implements AutoCloseable {
        @Override
        public void close() {
            moments.values().forEach(Tensor::close);
        }
    }

    @Override
    public void close() {
        segment.close();
        segment.adapters().close();
    }
}
