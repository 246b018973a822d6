package org.memsfl.round;

import java.util.ArrayList;
import java.util.List;
import org.memsfl.lora.AdapterSet;

/**
 * What the server of a round keeps about one registered device (beside its {@code ServerState}): its cut, its
 * {@link DevicePhase} in the current round, the steps served, its upload, and the rounds it missed.
 */
public final class ServerDevice {

    private final String id;
    private final int cut;
    private DevicePhase phase = DevicePhase.REGISTERED;
    private int stepsDone;
    private AdapterSet upload;
    private long numExamples;
    private boolean missedLast;
    private final List<Integer> missedRounds = new ArrayList<>();

    ServerDevice(String id, int cut) {
        this.id = id;
        this.cut = cut;
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

    AdapterSet releaseUpload() {
        AdapterSet u = upload;
        upload = null;
        return u;
    }

    void beginRound() {
        phase = DevicePhase.TRAINING;
        stepsDone = 0;
        upload = null;
        numExamples = 0;
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
