package org.memsfl.round;

import java.util.ArrayList;
import java.util.List;
import org.memsfl.settings.RoundSettings;
import org.memsfl.lora.AdapterSet;

/**
 * What the server of a round keeps about one registered device (beside its {@code ServerState}): its cut, its
 * {@link DevicePhase} in the current round, the steps served, its upload, and the rounds it missed.
 */
public final class ServerDevice {

    private final String id;
    private final int cut;
    private final long maxExamples;
    private AdapterSet start; // device-side adapters it starts the current round with (server-owned copy)
    private DevicePhase phase = DevicePhase.REGISTERED;
    private int stepsDone;
    private AdapterSet upload;
    private long numExamples;
    private boolean missedLast;
    private final List<Integer> missedRounds = new ArrayList<>();

    ServerDevice(String id, int cut, long maxExamples, AdapterSet start) {
        if (maxExamples <= 0) {
            throw new IllegalArgumentException("device " + id + ": the bound on num_examples must be > 0, got "
                    + maxExamples);
        }
        this.id = id;
        this.cut = cut;
        this.maxExamples = maxExamples;
        this.start = start;
    }

    /** The largest {@code num_examples} this device may claim (its partition's size when the driver knows it). */
    public long maxExamples() {
        return maxExamples;
    }

    /** The device-side adapters it starts the current round with (the reference of its update's norm). */
    AdapterSet start() {
        return start;
    }

    /** The next round starts from a copy of {@code next}. */
    void startNext(AdapterSet next) {
        if (next != start) {
            AdapterSet old = start;
            start = next.copy();
            old.close();
        }
    }

    /**
     * The device restarted inside the open round: it redoes the round from its start (its upload, if any, is handed
     * back for the caller to free). A left-out device stays out; between rounds nothing changes.
     */
    AdapterSet restart() {
        if (phase != DevicePhase.TRAINING && phase != DevicePhase.UPLOADED) {
            return null;
        }
        AdapterSet u = upload;
        phase = DevicePhase.TRAINING;
        stepsDone = 0;
        upload = null;
        numExamples = 0;
        return u;
    }

    void close() {
        start.close();
    }

    public String id() {
        return id;
    }

    public int cut() {
        return cut;
    }

    public DevicePhase phase() {
        return phase;
    }

    /** Local steps of the current round served so far. */
    public int stepsDone() {
        return stepsDone;
    }

    /** Training examples behind its upload this round (the FedAvg weight); 0 before it uploads. */
    public long numExamples() {
        return numExamples;
    }

    /** True from the end of a round it missed until its next upload: it may register again and rejoin. */
    public boolean missedLast() {
        return missedLast;
    }

    /** The rounds it was left out of, in order. */
    public List<Integer> missedRounds() {
        return List.copyOf(missedRounds);
    }

    AdapterSet upload() {
        return upload;
    }

    void beginRound() {
        phase = DevicePhase.TRAINING;
        stepsDone = 0;
        upload = null;
        numExamples = 0;
    }

    /** This device in round {@code claimed}, refused unless that is the open round {@code round} and it is in it. */
    ServerDevice requireIn(int round, int claimed, String what) {
        if (claimed != round) {
            throw new RoundRefusal(RoundRefusal.Kind.PRECONDITION, "stale " + what + " of round " + claimed
                    + ": the server is in round " + round);
        }
        if (phase == DevicePhase.LEFT_OUT) {
            throw new RoundRefusal(RoundRefusal.Kind.PRECONDITION, "device " + id + " was left out of round " + round
                    + " after its deadline; it may rejoin at round " + (round + 1));
        }
        return this;
    }

    void requireNextStep(int round, int localStep, int localSteps) {
        if (localStep != stepsDone + 1 || localStep > localSteps || phase != DevicePhase.TRAINING) {
            throw new RoundRefusal(RoundRefusal.Kind.PRECONDITION, "device " + id + " sent local step " + localStep
                    + " of round " + round + " but the server expects step " + (stepsDone + 1) + " of " + localSteps);
        }
    }

    void requireUpload(long examples, int localSteps) {
        if (phase == DevicePhase.UPLOADED) {
            throw new RoundRefusal(RoundRefusal.Kind.ALREADY_DONE, "device " + id + " already uploaded its adapters for"
                    + " this round");
        }
        if (stepsDone != localSteps) {
            throw new RoundRefusal(RoundRefusal.Kind.PRECONDITION, "device " + id + " uploaded after " + stepsDone
                    + " of " + localSteps + " local steps");
        }
        if (examples <= 0 || examples > maxExamples) {
            leaveOut();
            throw new RoundRefusal(RoundRefusal.Kind.INVALID, "num_examples must be in [1, " + maxExamples
                    + "] for device " + id + ", got " + examples + "; the round goes on without it");
        }
    }

    /** Takes its upload after the checks; an invalid claim leaves it out of the round (the refusal says so). */
    void accept(AdapterSet adapters, long examples, RoundGuards guards, RoundSettings s) {
        requireUpload(examples, s.localSteps());
        try {
            UploadCheck.check(id, adapters, start, guards, s);
        } catch (RoundRefusal r) {
            leaveOut();
            throw new RoundRefusal(r.kind(), r.getMessage() + "; the round goes on without it");
        }
        uploaded(adapters, examples);
    }

    void served() {
        stepsDone++;
    }

    void uploaded(AdapterSet adapters, long examples) {
        phase = DevicePhase.UPLOADED;
        upload = adapters;
        numExamples = examples;
        missedLast = false;
    }

    void leaveOut() {
        phase = DevicePhase.LEFT_OUT;
    }

    /** {@link #leaveOut()}, for a caller that expects an upload back (there is none). */
    AdapterSet leaveOutNow() {
        leaveOut();
        return null;
    }

    /** The round is over: a device without an upload missed it. */
    void endRound(int round) {
        if (phase != DevicePhase.UPLOADED) {
            missedRounds.add(round);
            missedLast = true;
        }
        phase = DevicePhase.REGISTERED;
        upload = null;
    }

    void restore(List<Integer> missed, boolean last) {
        missedRounds.clear();
        missedRounds.addAll(missed);
        missedLast = last;
    }
}
