package org.memsfl.schedule;

import java.util.List;
import java.util.Objects;

/**
 * One simulated round.
 *
 * @param policy             the policy's name
 * @param mode               synchronous steps or pipelined devices
 * @param roundTime          from the round's start until the last device finishes its last backward, seconds
 * @param devices            the devices' names; slot and per-device entries refer to them by position
 * @param slots              server work in time order (the serving order), one per (device, local step)
 * @param deviceIdle         per device: {@code roundTime - I * (r_u + q_u)}, the time it neither computes nor
 *                           communicates (waiting for its own server segment, for the queue, and for barriers or the
 *                           end of the round)
 * @param deviceQueueing     per device: total time its jobs were released but not yet started on the server
 * @param serverBusyFraction server busy time / roundTime (0 for a zero-length round)
 */
public record RoundResult(String policy, RoundSimulator.Mode mode, double roundTime, List<String> devices,
                          List<ServerSlot> slots,
                          List<Double> deviceIdle, List<Double> deviceQueueing, double serverBusyFraction) {

    public RoundResult {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(mode, "mode");
        Job.requireTime("round time", roundTime);
        devices = List.copyOf(devices);
        slots = List.copyOf(slots);
        deviceIdle = List.copyOf(deviceIdle);
        deviceQueueing = List.copyOf(deviceQueueing);
        if (deviceIdle.size() != devices.size() || deviceQueueing.size() != devices.size()) {
            throw new IllegalArgumentException("deviceIdle and deviceQueueing must have one entry per device ("
                    + devices.size() + "), got " + deviceIdle.size() + " and " + deviceQueueing.size());
        }
        if (!(serverBusyFraction >= 0 && serverBusyFraction <= 1 + 1e-9)) {
            throw new IllegalArgumentException("server busy fraction must be in [0, 1], got " + serverBusyFraction);
        }
    }

    /** The serving order as the round records it: {@code "<device>:<local step from 1>"} per slot. */
    public List<String> serveOrder() {
        List<String> out = new java.util.ArrayList<>(slots.size());
        for (ServerSlot s : slots) {
            out.add(devices.get(s.device()) + ":" + (s.step() + 1));
        }
        return out;
    }

    /** The server's total busy time. */
    public double serverBusy() {
        double busy = 0;
        for (ServerSlot s : slots) {
            busy += s.duration();
        }
        return busy;
    }
}
